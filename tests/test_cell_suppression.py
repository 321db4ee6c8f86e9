"""Cell suppression audited by linear programming: for every count from 1 to 10 that a table holds (a cell,
a sum of cells, a step's exclusions), the smallest and largest values consistent with what is printed
must differ, so that no reader can work it out exactly."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from ingest.cell_suppression import Flow, column_hidden, mask_table

LIMIT = 10


def _audit(total, columns, flow, hidden_total, hidden_cells, *, total_public=False):
    """Counts from 1 to LIMIT that a reader can pin exactly from the shown cells and the table's relations."""
    cols = ["__total__", *columns]
    values = {"__total__": total, **columns}
    rows = list(total)
    index = {(c, r): i for i, (c, r) in enumerate(itertools.product(cols, rows))}
    n = len(index)
    eq_rows, eq_rhs, le_rows = [], [], []

    def vec(terms):
        v = np.zeros(n)
        for key, coef in terms:
            v[index[key]] += coef
        return v

    for r in rows:  # the columns add up to the total
        eq_rows.append(vec([(("__total__", r), 1)] + [((c, r), -1) for c in columns]))
        eq_rhs.append(0)
    for c in cols:
        for r, up in flow.parent.items():
            if up is not None:  # a subset row is at most its parent row
                le_rows.append(vec([((c, r), 1), ((c, up), -1)]))
        for whole, parts in flow.splits.items():
            eq_rows.append(vec([((c, whole), 1)] + [((c, p), -1) for p in parts]))
            eq_rhs.append(0)
        for r in rows:
            hidden = r in hidden_total if c == "__total__" else (c, r) in hidden_cells
            if not hidden or (c == "__total__" and total_public):
                eq_rows.append(vec([((c, r), 1)]))
                eq_rhs.append(values[c][r])
    a_eq, b_eq = np.array(eq_rows), np.array(eq_rhs, dtype=float)
    a_ub = np.array(le_rows) if le_rows else None
    b_ub = np.zeros(len(le_rows)) if le_rows else None

    def bounds_of(objective):
        lo = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None))
        hi = linprog(-objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None))
        assert lo.status == 0, "the printed table must be consistent with the data"
        if hi.status == 3:  # unbounded above: a hidden top row can be any size
            return lo.fun, np.inf
        assert hi.status == 0
        return lo.fun, -hi.fun

    pinned = []
    for size in range(1, len(cols) + 1):
        for group in itertools.combinations(cols, size):
            if total_public and ("__total__" in group or len(group) == len(columns)):
                continue  # what the printed-elsewhere total gives away is not this table's to hide
            quantities = [(f"{group} row {r}", [((c, r), 1) for c in group]) for r in rows]
            quantities += [
                (f"{group} removed at {r}", [((c, up), 1) for c in group] + [((c, r), -1) for c in group])
                for r, up in flow.parent.items()
                if up is not None
            ]
            for name, terms in quantities:
                objective = vec(terms)
                truth = sum(coef * values[c][r] for (c, r), coef in terms)
                if 0 < truth <= LIMIT:
                    lo, hi = bounds_of(objective)
                    if hi - lo < 0.5:
                        pinned.append(f"{name} = {truth}")
    return pinned


# ---------------------------------------------------------------------------------------------------------
# attrition: two cohorts share steps 1-4, then each has a final step split into positives and negatives

ATTRITION = Flow(
    parent={
        1: None, 2: 1, 3: 2, 4: 3,
        "early": 4, "early_pos": "early", "early_neg": "early",
        "late": 4, "late_pos": "late", "late_neg": "late",
    },
    splits={"early": ("early_pos", "early_neg"), "late": ("late_pos", "late_neg")},
)  # fmt: skip

drops = st.one_of(st.integers(0, 14), st.integers(0, 200))


@st.composite
def attrition_site(draw):
    top = draw(st.one_of(st.integers(0, 30), st.integers(0, 500)))
    values = {1: top}
    for step in (2, 3, 4):
        values[step] = max(0, values[step - 1] - draw(drops))
    for cohort in ("early", "late"):
        values[cohort] = max(0, values[4] - draw(drops))
        values[f"{cohort}_pos"] = draw(st.integers(0, values[cohort]))
        values[f"{cohort}_neg"] = values[cohort] - values[f"{cohort}_pos"]
    return values


@settings(max_examples=60, deadline=None)
@given(st.lists(attrition_site(), min_size=1, max_size=3))
def test_no_attrition_count_from_1_to_10_can_be_worked_out(sites):
    columns = {f"site{i}": values for i, values in enumerate(sites)}
    total = {row: sum(v[row] for v in sites) for row in sites[0]}
    hidden_total, hidden_cells = mask_table(total, columns, ATTRITION, LIMIT)
    assert _audit(total, columns, ATTRITION, hidden_total, hidden_cells) == []


# ---------------------------------------------------------------------------------------------------------
# subgroups: an attribute's groups add up to the test set, each with its positives (a subset); the test
# set's own counts are printed elsewhere


SUBGROUP = Flow.chain(["n", "positive"])


@st.composite
def subgroup(draw):
    n = draw(st.one_of(st.integers(0, 25), st.integers(0, 400)))
    return {"n": n, "positive": draw(st.integers(0, n))}


@settings(max_examples=60, deadline=None)
@given(st.lists(subgroup(), min_size=1, max_size=4))
def test_no_subgroup_count_from_1_to_10_can_be_worked_out(groups):
    columns = {f"group{i}": values for i, values in enumerate(groups)}
    total = {row: sum(g[row] for g in groups) for row in ("n", "positive")}
    hidden_total, hidden_cells = mask_table(total, columns, SUBGROUP, LIMIT, total_public=True)
    assert hidden_total == set()
    assert _audit(total, columns, SUBGROUP, hidden_total, hidden_cells, total_public=True) == []


# ---------------------------------------------------------------------------------------------------------
# the rules on small cases a reader can check by hand


def test_a_step_removing_a_few_patients_hides_the_step_above_not_the_final_count():
    values = {1: 500, 2: 495, 3: 300}
    assert column_hidden(values, Flow.chain([1, 2, 3]), LIMIT) == {1}


def test_hiding_a_positive_count_hides_the_negatives_too():
    flow = Flow.chain(["final"], splits={"final": ("pos", "neg")})
    assert column_hidden({"final": 200, "pos": 4, "neg": 196}, flow, LIMIT) == {"pos", "neg"}


def test_a_small_site_hides_the_next_smallest_whole_column():
    flow = Flow.flat(["n"])
    total = {"n": 130}
    columns = {"A": {"n": 5}, "B": {"n": 25}, "C": {"n": 100}}
    assert mask_table(total, columns, flow, LIMIT) == (set(), {("A", "n"), ("B", "n")})


def test_nothing_small_hides_nothing_and_threshold_zero_hides_nothing():
    flow = Flow.chain([1, 2])
    total = {1: 300, 2: 200}
    columns = {"A": {1: 100, 2: 50}, "B": {1: 200, 2: 150}}
    assert mask_table(total, columns, flow, LIMIT) == (set(), set())
    columns_small = {"A": {1: 100, 2: 95}, "B": {1: 200, 2: 105}}
    assert mask_table(total, columns_small, flow, 0) == (set(), set())
