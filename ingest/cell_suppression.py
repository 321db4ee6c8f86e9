"""Which cells of a count table to hide so that no count from 1 to the threshold can be worked out.

A printed table of patient counts gives away more than its cells: rows that are subsets of another row
(attrition steps) give the number each step removed, rows that are parts of another row (positives and
negatives of a cohort) add up, and columns (sites, subgroups) add up to a total column. Hiding the small
cells alone is not enough; this module chooses the extra cells to hide.

The rules, each of which keeps any patient count between 1 and the threshold from being found exactly:

- In one column: a small cell is hidden; a row shown next to its nearest shown ancestor row must differ
  from it by 0 or by more than the threshold (otherwise the ancestor is hidden, so the final rows of a flow
  stay visible); when a row is split into parts and any of them is hidden, every non-zero part is hidden.
- Across columns: a row the total column hides is hidden in every column, and each column is then judged
  by the one-column rules on the rows left. A column that fails them is hidden whole, and so is the
  smallest other column until the hidden columns' sum (the total minus the shown columns) passes too.

Hidden cells all print the same mask: telling a small cell ("<11") from a complementary one would let a
reader narrow a hidden count (a complementary cell is then known to be 0 or above the threshold).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

Row = Hashable
Column = Hashable


@dataclass(frozen=True)
class Flow:
    """How a table's rows relate. `parent[row]` is the row it is a subset of (None at the top); each key of
    `splits` is a row whose listed part rows add up to it exactly."""

    parent: Mapping[Row, Row | None]
    splits: Mapping[Row, tuple[Row, ...]] = field(default_factory=dict)

    @classmethod
    def chain(cls, rows: list[Row], splits: Mapping[Row, tuple[Row, ...]] | None = None) -> Flow:
        """Rows in order, each a subset of the one before; parts in `splits` hang under their whole row."""
        parent: dict[Row, Row | None] = dict(zip(rows, [None, *rows[:-1]], strict=True))
        for whole, parts in (splits or {}).items():
            parent.update(dict.fromkeys(parts, whole))
        return cls(parent, dict(splits or {}))

    @classmethod
    def flat(cls, rows: list[Row]) -> Flow:
        """Unrelated rows."""
        return cls(dict.fromkeys(rows))

    def depth(self, row: Row) -> int:
        depth = 0
        while (row := self.parent[row]) is not None:
            depth += 1
        return depth


def _nearest_ancestor(flow: Flow, row: Row, known: Mapping[Row, int] | set[Row]) -> Row | None:
    ancestor = flow.parent[row]
    while ancestor is not None and ancestor not in known:
        ancestor = flow.parent[ancestor]
    return ancestor


def _hide_parts(flow: Flow, values: Mapping[Row, int], hidden: set[Row]) -> None:
    for whole, parts in flow.splits.items():
        if whole in hidden or any(p in hidden for p in parts):
            hidden.update(p for p in parts if values[p] > 0)


def column_hidden(values: Mapping[Row, int], flow: Flow, limit: int) -> set[Row]:
    """Rows to hide in one column on its own (the one-column rules above)."""
    hidden = {row for row, n in values.items() if 0 < n <= limit}
    _hide_parts(flow, values, hidden)
    for row in sorted(values, key=flow.depth, reverse=True):
        if row in hidden:
            continue
        while (up := _nearest_ancestor(flow, row, values.keys() - hidden)) is not None:
            if not 0 < values[up] - values[row] <= limit:
                break
            hidden.add(up)
    _hide_parts(flow, values, hidden)
    return hidden


def column_leaks(known: Mapping[Row, int], flow: Flow, limit: int) -> bool:
    """Whether the known cells of one column, with what their splits let a reader add up, show a count
    from 1 to `limit` (a cell, or the difference between a row and its nearest known ancestor)."""
    known = dict(known)
    changed = True
    while changed:
        changed = False
        for whole, parts in flow.splits.items():
            missing = [r for r in (whole, *parts) if r not in known]
            if len(missing) != 1:
                continue
            (row,) = missing
            parts_known = sum(known[p] for p in parts if p in known)
            known[row] = parts_known if row == whole else known[whole] - parts_known
            changed = True
    if any(0 < n <= limit for n in known.values()):
        return True
    for row, n in known.items():
        up = _nearest_ancestor(flow, row, known)
        if up is not None and 0 < known[up] - n <= limit:
            return True
    return False


def mask_table(
    total: Mapping[Row, int],
    columns: Mapping[Column, Mapping[Row, int]],
    flow: Flow,
    limit: int,
    *,
    total_public: bool = False,
) -> tuple[set[Row], set[tuple[Column, Row]]]:
    """The total column's hidden rows and the hidden (column, row) cells of a table whose columns add up
    to `total` row by row. `total_public`: the total is printed elsewhere in full, so it is never hidden
    here and the columns are protected against it."""
    if limit <= 0:
        return set(), set()
    # a row the total hides is hidden in every column: no sum of columns can then give it back, and each
    # column is judged on the rows left (hiding a step merges the gaps on either side of it)
    hidden_rows = set() if total_public else column_hidden(total, flow, limit)
    rows = [row for row in total if row not in hidden_rows]
    whole_hidden = {
        c for c, values in columns.items() if column_leaks({r: values[r] for r in rows}, flow, limit)
    }
    # smallest columns first, so that the columns hidden as complements hide as few patients as possible
    by_size = sorted(columns, key=lambda c: (sum(columns[c].values()), str(c)))
    while whole_hidden and len(whole_hidden) < len(columns):
        shown = [c for c in columns if c not in whole_hidden]
        rest = {row: total[row] - sum(columns[c][row] for c in shown) for row in rows}
        if not column_leaks(rest, flow, limit):
            break
        whole_hidden.add(next(c for c in by_size if c not in whole_hidden))
    hidden = {(c, row) for c in columns for row in hidden_rows}
    return hidden_rows, hidden | {(c, row) for c in whole_hidden for row in columns[c]}
