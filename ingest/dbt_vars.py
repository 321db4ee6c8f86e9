"""`lumbar build --vars`: the study windows and thresholds a researcher overrides, checked before dbt runs.

dbt ignores a var nobody reads, so a misspelt window (`surgery_early_window_day: 90`) would build the
paper's defaults and look like success. Here every name must be one the project defines in
dbt_project.yml or reads with `var('name', default)`, and a value must have the type of its default (a
whole number of days stays a whole number), so a mistake is one line before any model runs.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Collection
from functools import cache
from typing import Any

import yaml

from ingest.errors import LumbarError
from ingest.paths import DBT_PROJECT_DIR

_READ = re.compile(r"""var(?:_date)?\(\s*['"]([a-z_][a-z0-9_]*)['"]""")


@cache
def project_vars() -> dict[str, Any]:
    """Every var the project knows: dbt_project.yml's defaults, plus names read with an inline default
    (value None: any type is accepted)."""
    defaults = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text()).get("vars") or {}
    known: dict[str, Any] = dict(defaults)
    for folder in ("models", "macros", "tests", "seeds"):
        for path in sorted((DBT_PROJECT_DIR / folder).rglob("*")):
            if path.suffix in (".sql", ".yml"):
                for name in _READ.findall(path.read_text()):
                    known.setdefault(name, None)
    return known


def parse_vars(text: str) -> dict[str, Any]:
    """A `--vars` string (YAML, as dbt reads it: `{surgery_early_window_days: 90}`) checked against the
    project's vars; dates become ISO strings, as the SQL expects."""
    try:
        given = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem", None) or "not valid YAML"
        raise LumbarError(
            f"--vars {text!r}: {where}; write a mapping such as '{{surgery_early_window_days: 90}}'"
        ) from None
    if given is None or given == {}:
        return {}  # `--vars '{}'`, as dbt allows: nothing overridden
    if not isinstance(given, dict):
        raise LumbarError(
            f"--vars {text!r} is not a mapping of var names to values, such as '{{surgery_early_window_days: 90}}'"
        )
    return check_vars(given)


def check_vars(given: dict[str, Any], read_by: tuple[str, Collection[str]] | None = None) -> dict[str, Any]:
    """`given` with every name known to the project and every value of its default's type.

    `read_by` = (what, names): only these vars change what `what` does; any other is an error, so a var that
    would be silently ignored (a surgery window given to the checks) is not taken for applied.
    """
    known = project_vars()
    checked: dict[str, Any] = {}
    for name, value in given.items():
        if name not in known:
            close = difflib.get_close_matches(str(name), list(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else "; dbt_project.yml lists the project's vars"
            raise LumbarError(f"--vars: the project has no var {name!r}{hint}")
        if read_by is not None and name not in read_by[1]:
            what, names = read_by
            raise LumbarError(f"--vars: {what} never read {name}; they read {', '.join(sorted(names))}")
        checked[name] = _checked_value(name, value, known[name])
    return checked


def _checked_value(name: str, value: Any, default: Any) -> Any:
    value = _plain(value)
    if value is None:
        raise LumbarError(f"--vars: {name} has no value; give one or leave the var out")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise LumbarError(f"--vars: {name} must be text, a number, true/false or a list of them") from None
    if default is None:
        return value
    if not _same_kind(value, default) or (
        isinstance(value, list) and default and not all(_same_kind(v, default[0]) for v in value)
    ):
        expected = _kind(default) + (
            f" of {_kind(default[0])}s" if isinstance(default, list) and default else ""
        )
        raise LumbarError(
            f"--vars: {name} must be {expected} like its default {json.dumps(default)}, got {json.dumps(value)}"
        )
    return value


def _plain(value: Any) -> Any:
    """YAML dates (at any depth) as the ISO text the SQL casts, so the vars serialise for dbt."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _same_kind(value: Any, default: Any) -> bool:
    # a whole number is a valid number (feature_rare_threshold: 0)
    return _kind(value) == _kind(default) or (
        _kind(default) == "a number" and _kind(value) == "a whole number"
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text"
