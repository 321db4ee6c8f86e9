"""The cohort attrition tables `lumbar build` prints, masked so that no small count can be worked out.

Each study's attrition is a flow of related counts (steps are subsets of the step above, parts add up to
their whole, sites add up to `all`); ingest/cell_suppression.py chooses which cells to hide. A table whose
steps are not the ones this module knows the relations of is not printed: masking it against the wrong flow
could let a small count through.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from ingest.cell_suppression import Flow, mask_table
from ingest.privacy import MASK, mask_note, masked, suppression_threshold


@dataclass(frozen=True)
class AttritionRow:
    cohort: str
    site: str
    step_number: int
    step: str
    n_patients: int


# cohort_attrition.sql: steps 1-4 narrow the candidates (the same rows for both cohorts), step 5 is each
# cohort's final size and steps 6 + 7 (positives + negatives) add up to it
SURGERY_CHAIN = (1, 2, 3, 4, 5)
SURGERY_SPLIT = {5: (6, 7)}

# cohort_medication_attrition.sql, kind 'step': six sequential selection steps, step 6 the final cohort.
# Its other rows are not printed. The exclusion groups (kind 'exclusion') overlap, so two of them beside
# steps 4 and 5 give their overlap by inclusion-exclusion, which no flow here models. The outcome classes
# (kind 'outcome') are printed by `lumbar train medication` per train / test split, masked against the
# cohort and split sizes only: class totals printed here would give a hidden test cell away by subtraction.
MEDICATION_CHAIN = (1, 2, 3, 4, 5, 6)
MEDICATION_NOT_PRINTED = (
    "exclusion groups (they overlap) and outcome classes (`lumbar train medication` prints them per split) "
    "are in cohorts.cohort_medication_attrition"
)


def surgery_tables(rows: list[AttritionRow]) -> list[RenderableType]:
    """One table per surgery cohort; both cohorts' cells are masked together (they print the same steps 1-4)."""
    steps = {r.step_number for r in rows}
    if steps and steps != {*SURGERY_CHAIN, *(p for ps in SURGERY_SPLIT.values() for p in ps)}:
        # masking needs to know how the steps relate; a changed cohort_attrition.sql must say so here
        return [
            f"[yellow]attrition not printed[/yellow]: cohorts.cohort_attrition has steps {sorted(steps)}, "
            "not the 1-7 that ingest/attrition.py knows how to mask; query the table itself"
        ]
    cells = _masked_surgery(rows, suppression_threshold())
    return [
        _table(f"Surgery cohort attrition: {escape(cohort)}", [r for r in rows if r.cohort == cohort], cells)
        for cohort in sorted({r.cohort for r in rows})
    ]


def medication_tables(rows: list[AttritionRow]) -> list[RenderableType]:
    """The medication cohort's selection steps (cohort_medication_attrition rows of kind 'step')."""
    steps = {r.step_number for r in rows}
    if not steps:
        return []
    if steps != set(MEDICATION_CHAIN):
        return [
            "[yellow]medication attrition not printed[/yellow]: cohorts.cohort_medication_attrition has steps "
            f"{sorted(steps)}, not the 1-6 that ingest/attrition.py knows how to mask; query the table itself"
        ]
    sites = sorted({r.site for r in rows} - {"all"})
    count = {(r.step_number, r.site): r.n_patients for r in rows}
    total = {step: count.get((step, "all"), 0) for step in MEDICATION_CHAIN}
    columns = {s: {step: count.get((step, s), 0) for step in MEDICATION_CHAIN} for s in sites}
    hidden_total, hidden_cells = mask_table(
        total, columns, Flow.chain(list(MEDICATION_CHAIN)), suppression_threshold()
    )
    cells = {
        ("medication", step, site): masked(
            count.get((step, site), 0),
            step in hidden_total if site == "all" else (site, step) in hidden_cells,
        )
        for step in MEDICATION_CHAIN
        for site in ["all", *sites]
    }
    return [_table("Medication cohort attrition", rows, cells, note=MEDICATION_NOT_PRINTED)]


def _table(
    title: str, rows: list[AttritionRow], cells: dict[tuple[str, int, str], str], note: str = ""
) -> Table:
    sites = ["all"] + sorted({r.site for r in rows} - {"all"})
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("step")
    for site in sites:
        table.add_column(escape(site), justify="right")  # site names come from the data
    for cohort, number, step in sorted({(r.cohort, r.step_number, r.step) for r in rows}):
        table.add_row(str(number), escape(step), *(cells[cohort, number, site] for site in sites))
    captions = [mask_note()] if any(cells[r.cohort, r.step_number, r.site] == MASK for r in rows) else []
    table.caption = "; ".join(c for c in [*captions, note] if c) or None
    return table


def _masked_surgery(rows: list[AttritionRow], limit: int) -> dict[tuple[str, int, str], str]:
    """Every surgery cohort's attrition cells as printed, masked together: both cohorts print the shared steps,
    so what one table shows the other cannot hide (ingest/cell_suppression.py)."""
    count = {(r.cohort, r.step_number, r.site): r.n_patients for r in rows}
    cohorts = sorted({r.cohort for r in rows})
    sites = sorted({r.site for r in rows} - {"all"})
    steps = sorted({r.step_number for r in rows})

    def shared(step: int) -> bool:
        return step < SURGERY_CHAIN[-1] and all(
            count.get((c, step, s), 0) == count.get((cohorts[0], step, s), 0)
            for c in cohorts
            for s in ["all", *sites]
        )

    def node(cohort: str, step: int) -> tuple[str, int]:
        return ("shared" if shared(step) else cohort, step)

    parent: dict = {}
    splits: dict = {}
    for cohort in cohorts:
        for above, step in zip((None, *SURGERY_CHAIN), SURGERY_CHAIN, strict=False):
            parent[node(cohort, step)] = None if above is None else node(cohort, above)
        for whole, parts in SURGERY_SPLIT.items():
            splits[node(cohort, whole)] = tuple(node(cohort, p) for p in parts)
            parent.update(dict.fromkeys(splits[node(cohort, whole)], node(cohort, whole)))
    flow = Flow(parent, splits)
    nodes = {node(c, step): (c, step) for c in cohorts for step in steps}
    total = {n: count.get((c, step, "all"), 0) for n, (c, step) in nodes.items()}
    columns = {s: {n: count.get((c, step, s), 0) for n, (c, step) in nodes.items()} for s in sites}
    hidden_total, hidden_cells = mask_table(total, columns, flow, limit)
    return {
        (c, step, site): masked(
            count.get((c, step, site), 0),
            node(c, step) in hidden_total if site == "all" else (site, node(c, step)) in hidden_cells,
        )
        for c in cohorts
        for step in steps
        for site in ["all", *sites]
    }
