"""Property-based: the report-section regular expressions (macros/report_sections.sql, applied in
int_imaging_reports_cleaned) never fail, agree with Python's `re` on ASCII text, and take time linear in
the text length on adversarial input.

The SQL is the compiled model run in DuckDB (tests/properties_dbt.py). DuckDB's regex engine is RE2, which
guarantees linear time; the timing test guards against a change of engine or of the macros (a backreference
or lookaround would not compile in RE2; a backtracking engine such as Spark's Java regex could be
quadratic on these patterns).
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from properties_dbt import CompiledModels, shared_models

MODELS = {"stg_ehr__imaging", "int_imaging_reports_cleaned"}

# Header fragments (complete, partial, wrong case, without their colon) and the separators around them.
FRAGMENTS = [
    "FINDINGS", "Findings", "finding", "FINDING:", "Findings -", "IMPRESSION", "Impression:", "impressions",
    "CONCLUSION:", "conclusions", "HISTORY:", "Technique", "COMPARISON:", "Electronically signed", "EXAM:",
    ":", "-", " - ", "\n", "\r\n", "\t", " ", "  ", ".", ",", "L4-L5", "disc", "stenosis", "no acute", "3 mm",
]  # fmt: skip
texts = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS), st.text(alphabet=st.characters(codec="ascii", exclude_characters="\x00"))
    ),
    max_size=25,
).map("".join)


def write_reports(db: CompiledModels, reports: list[str]) -> None:
    rows = [(f"I{i:05d}", "P1", dt.date(2015, 1, 1), "MRI", "lumbar", text) for i, text in enumerate(reports)]
    db.write_raw("imaging", rows)


def sql_sections(db: CompiledModels) -> list[tuple[str, bool, str]]:
    return db.query(
        "select image_id, sections_found, report_clean from intermediate.int_imaging_reports_cleaned order by image_id"
    )


def section_patterns(db: CompiledModels) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The findings and impression sections as one capture-group regex each, for Python's `re`.

    The model finds a section with two anchored replacements (macros/report_sections.sql); the reference is the
    plain definition built from the same compiled header regexes: the first start header, then the shortest
    text up to the first end header or the end of the report. RE2's `$` (no multi-line flag) is the end of the
    text; Python's `$` also matches before a final newline, so the reference uses `\\Z`."""
    sql = next(m.sql for m in db.models if m.name == "int_imaging_reports_cleaned")
    starts = re.findall(r"regexp_matches\(report_text, '\(\?is\)([^']*)'\)", sql)
    ends = re.findall(r", '\(\?is\)([^']*)\.\*\$', '', 'g'\)", sql)
    assert len(starts) == len(ends) == 2, "expected the findings and impression headers in the compiled SQL"
    return tuple(  # type: ignore[return-value]
        re.compile(f"(?is){start}(.*?)(?:{end}|\\Z)") for start, end in zip(starts, ends, strict=True)
    )


def py_clean(text: str) -> str:
    """The documented cleaning: lower case, every run of non-alphanumerics one space, trimmed."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def py_reference(text: str, findings: re.Pattern[str], impression: re.Pattern[str]) -> tuple[bool, str]:
    parts = []
    for pattern in (findings, impression):
        match = pattern.search(text)
        parts.append(match.group(1).strip(" ") if match else "")  # DuckDB's trim() removes spaces only
    found = any(parts)
    return found, py_clean(" ".join(parts) if found else text)


@pytest.fixture(scope="module")
def db() -> CompiledModels:
    return shared_models()


@settings(max_examples=15, deadline=None, derandomize=True)
@given(reports=st.lists(texts, min_size=1, max_size=40))
def test_sections_match_python_reference(db, reports):
    write_reports(db, reports)
    db.rebuild(only=MODELS)
    rows = sql_sections(db)
    assert len(rows) == len(reports)  # no report dropped or duplicated
    findings, impression = section_patterns(db)
    for (_, found, clean), text in zip(rows, reports, strict=True):
        assert re.fullmatch(r"([a-z0-9]+( [a-z0-9]+)*)?", clean), repr(text)
        assert (found, clean) == py_reference(text, findings, impression), repr(text)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(reports=st.lists(st.text(max_size=200), min_size=1, max_size=20))
def test_any_unicode_text_is_cleaned_without_error(db, reports):
    reports = [r.replace("\x00", "") for r in reports]  # the loader rejects NUL bytes
    write_reports(db, reports)
    db.rebuild(only=MODELS)
    rows = sql_sections(db)
    assert len(rows) == len(reports)
    assert all(re.fullmatch(r"([a-z0-9]+( [a-z0-9]+)*)?", clean) for _, _, clean in rows)


# Adversarial texts: many header starts with no section end, headers without colons, alternating headers.
ADVERSARIAL = [
    "FINDINGS ",
    "\nFINDINGS -",
    "findings:",
    "FINDINGS:\nIMPRESSION",
    "\n\t findings\t",
    "impression impressions conclusion",
    "Findings - Impression - ",
]


def _best_time(db: CompiledModels, reports: list[str], repeats: int = 3) -> float:
    write_reports(db, reports)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        db.rebuild(only=MODELS)
        db.query("select count(*) from intermediate.int_imaging_reports_cleaned")
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("fragment", ADVERSARIAL)
def test_section_extraction_is_linear_in_text_length(db, fragment):
    """200 KB in one report costs about what the same 200 KB cut into 100 short reports costs; a quadratic
    engine would be ~100x slower on the long one. Bound: 10x, relative, so slow machines pass too."""
    db.con.execute("set threads = 1")  # one long row cannot use several threads; compare like with like
    try:
        long_text = (fragment * (200_000 // len(fragment) + 1))[:200_000]
        short = _best_time(db, [long_text[:2_000]] * 100)
        long = _best_time(db, [long_text])
    finally:
        db.con.execute("reset threads")
    assert long < 10 * short + 0.05, f"{long:.3f}s for one 200 KB report vs {short:.3f}s for 100 x 2 KB"
