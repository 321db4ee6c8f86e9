"""Complementary suppression: a total beside its parts must not give a hidden small count away."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingest.build import AttritionRow, BuildResult
from ingest.privacy import COMPLEMENTARY_MASK, suppress_with_total


def test_one_small_site_hides_the_next_smallest_too():
    total, cells = suppress_with_total(130, [5, 25, 100])
    assert total == "130"
    assert cells == ["<11", COMPLEMENTARY_MASK, "100"]


def test_hidden_parts_adding_up_past_the_threshold_need_no_complement():
    assert suppress_with_total(110, [6, 7, 97]) == ("110", ["<11", "<11", "97"])


def test_nothing_to_hide_shows_everything_and_zeros_stay():
    assert suppress_with_total(150, [0, 50, 100]) == ("150", ["0", "50", "100"])


def test_threshold_zero_disables_suppression():
    assert suppress_with_total(13, [3, 10], threshold=0) == ("13", ["3", "10"])


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=6))
def test_no_small_count_can_be_recovered_by_subtraction(parts):
    total_text, cells = suppress_with_total(sum(parts), parts)
    shown = [p for p, c in zip(parts, cells, strict=True) if c not in ("<11", COMPLEMENTARY_MASK)]
    hidden = [p for p, c in zip(parts, cells, strict=True) if c in ("<11", COMPLEMENTARY_MASK)]
    for p, c in zip(parts, cells, strict=True):
        if 0 < p <= 10:
            assert c == "<11"  # every small count is hidden
    if total_text != "<11" and hidden:
        # what subtraction recovers is the hidden parts' sum; it must not itself be a small count
        assert not 0 < sum(parts) - sum(shown) <= 10


def _build_result(rows):
    return BuildResult(
        warehouse=None, marts_dir=None, marts={}, n_nodes=1, n_passed=1, elapsed_s=0.0, attrition=rows
    )  # type: ignore[arg-type]


def test_attrition_table_applies_complementary_suppression():
    from rich.console import Console

    rows = [
        AttritionRow("cohort_x", site, 1, "index image", n)
        for site, n in (("all", 130), ("A", 5), ("B", 25), ("C", 100))
    ]
    console = Console(width=120, record=True)
    console.print(_build_result(rows).to_rich())
    text = " ".join(console.export_text().split())  # the caption wraps
    assert "<11" in text and COMPLEMENTARY_MASK in text and "cannot be found by subtraction" in text
    assert " 25 " not in text and " 5 " not in text


def test_subgroup_table_hides_a_group_that_subtraction_would_reveal():
    import numpy as np
    import pandas as pd

    from models_py.report import subgroup_table

    subgroups = pd.DataFrame(
        {
            "test_set": "test",
            "model": "lasso",
            "attribute": "race",
            "group": ["white", "black", "asian"],
            "n": [400, 40, 4],
            "n_positive": [30, 12, 1],
            "auc": [0.7, 0.6, np.nan],
        }
    )
    text = subgroup_table(subgroups)
    rows = {line.split("|")[4].strip(): line for line in text.splitlines() if line.startswith("| test")}
    assert "| <11 |" in rows["asian"]
    assert "| * | * |" in rows["black"]  # 40 and 12 hidden as complements of the small group
    assert "| 400 | 30 |" in rows["white"]
