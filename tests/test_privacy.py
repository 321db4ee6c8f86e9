"""The printed tables whose counts add up hide together what subtraction would give away (the masking
rules themselves are audited in tests/test_cell_suppression.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.build import AttritionRow, BuildResult
from ingest.privacy import MASK


def _build_result(rows):
    return BuildResult(
        warehouse=None, marts_dir=None, marts={}, n_nodes=1, n_passed=1, elapsed_s=0.0, attrition=rows
    )  # type: ignore[arg-type]


def _printed(result: BuildResult) -> str:
    from rich.console import Console

    console = Console(width=160, record=True)
    console.print(result.to_rich())
    return console.export_text()


def _attrition(counts: dict[tuple[str, int], list[int]], sites=("A", "B", "C")) -> list[AttritionRow]:
    """Rows for both cohorts from {(cohort, step): [count per site]}; 'all' is their sum."""
    rows = []
    for (cohort, step), per_site in counts.items():
        rows.append(AttritionRow(cohort, "all", step, f"step {step}", sum(per_site)))
        rows += [
            AttritionRow(cohort, s, step, f"step {step}", n) for s, n in zip(sites, per_site, strict=True)
        ]
    return rows


def _cells(text: str, cohort: str) -> dict[int, list[str]]:
    """Step number -> printed cells (all, A, B, C) of one cohort's table."""
    table = text.split(f"attrition: {cohort}")[1].split("attrition:")[0]
    cells = {}
    for line in table.splitlines():
        fields = [f.strip() for f in line.split("│")]
        if len(fields) > 3 and fields[1].isdigit():
            cells[int(fields[1])] = fields[3:-1]
    return cells


def _both_cohorts(shared, early, late):
    counts = {(c, step): v for c in ("early", "late") for step, v in shared.items()}
    counts |= {("early", step): v for step, v in early.items()}
    return counts | {("late", step): v for step, v in late.items()}


def test_attrition_hides_the_step_above_one_that_removed_few_patients_in_every_column():
    # site B loses 7 patients at step 2 and, in the late cohort only, 5 at step 5
    shared = {1: [300, 100, 50], 2: [300, 93, 50], 3: [280, 80, 30], 4: [250, 70, 30]}
    early = {5: [200, 60, 30], 6: [50, 30, 15], 7: [150, 30, 15]}
    late = {5: [250, 65, 30], 6: [100, 30, 15], 7: [150, 35, 15]}
    text = _printed(_build_result(_attrition(_both_cohorts(shared, early, late))))
    early_cells, late_cells = _cells(text, "early"), _cells(text, "late")
    for cells in (early_cells, late_cells):  # the shared steps print the same in both tables
        assert cells[1] == [MASK] * 4 and cells[4] == [MASK] * 4
        assert cells[2] == ["443", "300", "93", "50"] and cells[3] == ["390", "280", "80", "30"]
    assert early_cells[5][0] == "290" and late_cells[5][0] == "345"  # the final cohorts stay visible
    assert late_cells[5][2] == "65"  # 70 - 65 is hidden with step 4, not with site B's column
    assert "cannot be worked out" in " ".join(text.split())
    assert "<11" not in text


def test_a_small_positive_count_hides_its_negatives_and_a_complement_site():
    shared = {1: [300, 200, 100], 2: [280, 180, 90], 3: [250, 160, 80], 4: [220, 140, 70]}
    early = {5: [200, 120, 50], 6: [4, 40, 20], 7: [196, 80, 30]}
    late = {5: [180, 100, 40], 6: [50, 40, 20], 7: [130, 60, 20]}
    text = _printed(_build_result(_attrition(_both_cohorts(shared, early, late))))
    cells = _cells(text, "early")
    assert all(cells[step][1] == MASK and cells[step][3] == MASK for step in range(1, 8))  # A and C
    assert [cells[step][2] for step in (5, 6, 7)] == ["120", "40", "80"]  # B
    assert [cells[step][0] for step in (5, 6, 7)] == ["370", "64", "306"]


def test_threshold_zero_prints_every_count(monkeypatch):
    monkeypatch.setenv("LUMBAR_SUPPRESS_BELOW", "0")
    shared = {1: [300, 200, 100], 2: [295, 180, 90], 3: [250, 160, 80], 4: [220, 140, 70]}
    final = {5: [200, 120, 50], 6: [4, 40, 20], 7: [196, 80, 30]}
    text = _printed(_build_result(_attrition(_both_cohorts(shared, final, final))))
    assert MASK not in text and " 4 " in text and "196" in text and "295" in text


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
    assert "| * | * |" in rows["asian"]  # 4 patients, 1 positive
    assert "| * | * |" in rows["black"]  # hidden as complements of the small group
    assert "| 400 | 30 |" in rows["white"]
    assert "cannot be worked out" in text


def test_subgroup_table_hides_a_group_with_few_negatives():
    import numpy as np
    import pandas as pd

    from models_py.report import subgroup_table

    subgroups = pd.DataFrame(
        {
            "test_set": "test",
            "model": "lasso",
            "attribute": "sex",
            "group": ["female", "male"],
            "n": [300, 200],
            "n_positive": [40, 195],  # 5 men without the outcome
            "auc": [0.7, np.nan],
        }
    )
    text = subgroup_table(subgroups)
    assert "195" not in text and "| 200 |" not in text


def test_prevalence_beside_n_does_not_give_a_small_class_away():
    from models_py.report import prevalence_cell

    assert prevalence_cell(500, 5) == "<11 positive"
    assert prevalence_cell(500, 495) == "<11 negative"
    assert prevalence_cell(500, 100) == "0.200"
    assert prevalence_cell(0, 0) == "n/a"


def test_a_part_beside_its_total_hides_a_small_rest():
    from ingest.privacy import suppress_subset

    assert suppress_subset(500, 495) == "all but <11"
    assert suppress_subset(500, 5) == "<11"
    assert suppress_subset(500, 100) == "100"
    assert suppress_subset(8, 3) == "<11"  # the part is small itself


def test_parts_beside_their_total_are_masked_together():
    from ingest.privacy import suppress_parts

    assert suppress_parts(130, {"a": 5, "b": 25, "c": 100}) == {"a": MASK, "b": MASK, "c": "100"}
    assert suppress_parts(130, {"a": 30, "b": 100}) == {"a": "30", "b": "100"}


def test_attrition_with_unknown_steps_is_not_printed_rather_than_masked_wrongly():
    rows = [AttritionRow("early", "all", step, f"step {step}", 100 - step) for step in range(1, 9)]
    text = _printed(_build_result(rows))
    assert "attrition not printed" in text and "92" not in text


def _medication_attrition(counts: dict[int, list[int]], sites=("A", "B", "C")) -> list[AttritionRow]:
    """cohort_medication_attrition's step rows from {step: [count per site]}; 'all' is their sum."""
    rows = []
    for step, per_site in counts.items():
        rows.append(AttritionRow("medication", "all", step, f"step {step}", sum(per_site)))
        rows += [
            AttritionRow("medication", s, step, f"step {step}", n)
            for s, n in zip(sites, per_site, strict=True)
        ]
    return rows


def _medication_cells(text: str) -> dict[int, list[str]]:
    """Step number -> printed cells (all, A, B, C) of the medication attrition table."""
    cells = {}
    for line in text.split("Medication cohort attrition")[1].splitlines():
        fields = [f.strip() for f in line.split("│")]
        if len(fields) > 3 and fields[1].isdigit():
            cells[int(fields[1])] = fields[3:-1]
    return cells


def test_medication_attrition_is_printed_and_masked_like_the_surgery_attrition():
    # site B loses 7 patients at step 5: its column would give them away, and with the total printed the
    # smallest other site (C) would too, as the total minus A
    steps = {1: [400, 200, 100], 2: [380, 185, 80], 3: [360, 170, 65], 4: [300, 150, 50],
             5: [280, 143, 35], 6: [250, 120, 20]}  # fmt: skip
    result = _build_result([])
    result.medication_attrition = _medication_attrition(steps)
    text = _printed(result)
    cells = _medication_cells(text)
    assert [cells[step][0] for step in steps] == ["700", "645", "595", "500", "458", "390"]
    assert [cells[step][1] for step in steps] == ["400", "380", "360", "300", "280", "250"]
    assert all(cells[step][2:] == [MASK, MASK] for step in steps)
    assert "143" not in text and "cannot be worked out" in " ".join(text.split())
    # a step that removed 10 patients in all hides the step above it, in every column, as for surgery
    steps[5] = [298, 150, 42]
    result.medication_attrition = _medication_attrition(steps)
    cells = _medication_cells(_printed(result))
    assert cells[4] == [MASK] * 4 and cells[5] == ["490", "298", "150", "42"]


def test_medication_attrition_with_unknown_steps_is_not_printed_rather_than_masked_wrongly():
    result = _build_result([])
    result.medication_attrition = [
        AttritionRow("medication", "all", step, f"step {step}", 100 - step) for step in range(1, 8)
    ]
    text = _printed(result)
    assert "medication attrition not printed" in text and "94" not in text


def _medication_counts_shown(sizes: dict[tuple[str, str], int]) -> dict[tuple[str, str], str]:
    """cohort_counts on a profile with `sizes` patients per (split, outcome), as printed."""
    import pandas as pd

    from models_py.studies.medication import cohort_counts

    profile = pd.DataFrame(
        [{"split": split, "outcome": outcome} for (split, outcome), n in sizes.items() for _ in range(n)]
    )
    return {(r.split, r.outcome): r.n for r in cohort_counts(profile).itertuples()}


def test_medication_cohort_counts_hide_a_small_class_with_the_rest_of_its_split():
    # the train size is printed, so the test size is known too: the 4 must not be found from the test row's
    # other cells, whatever the train cells are
    shown = _medication_counts_shown(
        {("train", "none"): 400, ("train", "nsaids"): 300, ("train", "opioids"): 50,
         ("test", "none"): 100, ("test", "nsaids"): 75, ("test", "opioids"): 4}
    )  # fmt: skip
    assert [shown["test", o] for o in ("none", "nsaids", "opioids")] == [MASK, MASK, MASK]
    assert [shown["train", o] for o in ("none", "nsaids", "opioids")] == ["400", "300", "50"]


def test_medication_cohort_counts_hide_a_small_split_from_the_other_splits_classes():
    from ingest.cell_suppression import Flow, column_leaks

    # N = 48 is printed; a test split of 9 must not be N minus the train classes
    sizes = {("train", "none"): 13, ("train", "nsaids"): 13, ("train", "opioids"): 13,
             ("test", "none"): 3, ("test", "nsaids"): 3, ("test", "opioids"): 3}  # fmt: skip
    shown = _medication_counts_shown(sizes)
    known = {"all": 48, **{k: int(v) for k, v in shown.items() if v != MASK}}
    flow = Flow.chain(["all"], {"all": ("train", "test"), "train": tuple(k for k in sizes if k[0] == "train"),
                                "test": tuple(k for k in sizes if k[0] == "test")})  # fmt: skip
    assert not column_leaks(known, flow, 10)
    assert all(v == MASK for v in shown.values())


def _one_test_set(n: int, n_positive: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    from models_py.report import TABLE_METRICS

    metrics = pd.DataFrame(
        [
            {"test_set": "test", "model": "lasso", "metric": m, "statistic": stat, "value": value}
            for m, _ in TABLE_METRICS
            for stat, value in (("mean", 0.028), ("sd", 0.01))
        ]
    )
    comparisons = pd.DataFrame(
        columns=["test_set", "metric", "model_a", "model_b", "p_adjusted", "mean_difference"]
    )
    return metrics, comparisons, {"test": {"n": n, "n_positive": n_positive}}


def test_count_ratios_of_a_test_set_with_a_small_class_are_hidden():
    # a model that flags all 76 patients has precision 2/76 = 0.028: with N printed, that is the count
    from models_py.report import performance_table

    metrics, comparisons, sets = _one_test_set(76, 2)
    table = performance_table(metrics, comparisons, sets, ["lasso"], "Test set", {})
    row = next(line for line in table.splitlines() if "Benchmark" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[4:] == ["*", "*", "*", "*", "0.028 ± 0.010", "*", "*"]  # recall .. F1 hidden, AUC kept
    assert "a test set with a class of 1 to 10 patients" in table

    metrics, comparisons, sets = _one_test_set(500, 100)
    table = performance_table(metrics, comparisons, sets, ["lasso"], "Test set", {})
    assert "*" not in table and table.count("0.028 ± 0.010") == len(metrics) // 2


def test_curves_of_a_test_set_with_a_small_class_are_not_drawn(tmp_path):
    import matplotlib.pyplot as plt

    from models_py import report

    rng = np.random.default_rng(0)
    rows = []
    for name, n_positive in (("small", 3), ("large", 40)):
        labels = np.r_[np.ones(n_positive), np.zeros(100 - n_positive)]
        for model in ("mdl", "lasso"):
            rows.append(
                pd.DataFrame(
                    {
                        "test_set": name,
                        "model": model,
                        "split": "test",
                        "label": labels,
                        "score": rng.random(100),
                    }
                )
            )
    drawn = {}
    original = plt.Figure.savefig

    def capture(fig, path, **kwargs):
        drawn.update({ax.get_title(): len(ax.lines) for ax in fig.axes})
        return original(fig, path, **kwargs)

    plt.Figure.savefig = capture
    try:
        report.plot_curves(pd.concat(rows), tmp_path / "roc.png", "roc")
    finally:
        plt.Figure.savefig = original
    assert drawn["ROC: small"] == 0
    assert drawn["ROC: large"] == 3  # two models and the diagonal


def test_attrition_caption_has_no_dangling_separator():
    from ingest.attrition import surgery_tables

    shared = {1: [300, 100, 50], 2: [300, 93, 50], 3: [280, 80, 30], 4: [250, 70, 30]}
    early = {5: [200, 60, 30], 6: [50, 30, 15], 7: [150, 30, 15]}
    late = {5: [250, 65, 30], 6: [100, 30, 15], 7: [150, 35, 15]}
    tables = surgery_tables(_attrition(_both_cohorts(shared, early, late)))
    captions = [t.caption for t in tables]
    assert all(c and not c.rstrip().endswith(";") for c in captions), captions
