"""Small-cell suppression for anything printed or written to a report."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from ingest.cell_suppression import Flow, mask_table
from ingest.errors import LumbarError

DEFAULT_THRESHOLD = 10
K = TypeVar("K")


def suppression_threshold() -> int:
    """Counts from 1 to this value are hidden; $LUMBAR_SUPPRESS_BELOW overrides (0 disables).

    A value that is not a whole number is an error, not the default: a typo must not leave a researcher
    believing their own threshold was applied.
    """
    raw = os.environ.get("LUMBAR_SUPPRESS_BELOW")
    if raw is None or not raw.strip():
        return DEFAULT_THRESHOLD
    if not raw.strip().isdecimal():
        raise LumbarError(
            f"LUMBAR_SUPPRESS_BELOW must be a whole number of patients (0 turns suppression off), not {raw!r}"
        )
    return int(raw.strip())


def suppress(count: int | None, threshold: int | None = None) -> str:
    """Format a patient count for display: 1..threshold becomes '<threshold+1'."""
    if count is None:
        return ""
    limit = suppression_threshold() if threshold is None else threshold
    if 0 < count <= limit:
        return f"<{limit + 1}"
    return f"{count:,}"


MASK = "*"  # a hidden cell of a table whose counts add up (see ingest/cell_suppression.py)


def mask_note(threshold: int | None = None) -> str:
    """The caption under a table that holds MASK cells."""
    limit = suppression_threshold() if threshold is None else threshold
    return (
        f"{MASK} hidden: a count from 1 to {limit}, or a count hidden so that one from 1 to {limit} "
        "cannot be worked out from the others"
    )


def masked(count: int, hidden: bool) -> str:
    """A cell of such a table: MASK when hidden, else the exact count."""
    return MASK if hidden else f"{count:,}"


def suppress_subset(total: int, part: int, threshold: int | None = None) -> str:
    """A count printed beside a shown total it is part of (positives of a test set): the rest of the total
    is known by subtraction, so a rest of 1..threshold prints as 'all but <threshold+1'."""
    limit = suppression_threshold() if threshold is None else threshold
    if 0 < total - part <= limit and part > limit:
        return f"all but {suppress(total - part, limit)}"
    return suppress(part, limit)


def suppress_parts(total: int, parts: Mapping[K, int], threshold: int | None = None) -> dict[K, str]:
    """Counts that add up to a shown total (cluster sizes): masked together so that none from 1 to the
    threshold can be found by subtraction (ingest/cell_suppression.py); hidden ones print as MASK."""
    limit = suppression_threshold() if threshold is None else threshold
    columns = {key: {"n": n} for key, n in parts.items()}
    _, hidden = mask_table({"n": total}, columns, Flow.flat(["n"]), limit, total_public=True)
    return {key: masked(n, (key, "n") in hidden) for key, n in parts.items()}
