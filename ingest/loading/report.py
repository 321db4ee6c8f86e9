"""The summary every load prints: rows read / loaded / rejected per source file, and why rows were rejected.

Counts from 1 to 10 are shown as `<11` (small-cell suppression); the numbers in the
dataclasses themselves are exact so tests and callers can check read = loaded + rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ingest.privacy import MASK, mask_note, suppress, suppress_parts, suppress_subset, suppression_threshold


@dataclass
class SourceLoad:
    """Counts for one (table, source file) in a load."""

    table: str
    source_file: str
    file_hash: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    skipped: bool = False  # the same file (same hash) was loaded before: nothing added


@dataclass
class LoadReport:
    """What one `load_sources` / `load_directory` call did to the warehouse."""

    warehouse: Path
    load_id: int | None  # None when nothing new was loaded
    sources: list[SourceLoad] = field(default_factory=list)
    # (table, reason) -> rows rejected for it
    reject_reasons: dict[tuple[str, str], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def _live(self) -> list[SourceLoad]:
        return [s for s in self.sources if not s.skipped]

    def totals(self, table: str) -> tuple[int, int, int]:
        """(read, loaded, rejected) for a table across the files loaded this time."""
        rows = [s for s in self._live() if s.table == table]
        return (
            sum(s.rows_read for s in rows),
            sum(s.rows_loaded for s in rows),
            sum(s.rows_rejected for s in rows),
        )

    @property
    def rows_loaded(self) -> int:
        return sum(s.rows_loaded for s in self._live())

    @property
    def rows_rejected(self) -> int:
        return sum(s.rows_rejected for s in self._live())

    @property
    def skipped(self) -> list[SourceLoad]:
        return [s for s in self.sources if s.skipped]

    def counts_table(self) -> Table:
        title = (
            f"load {self.load_id} into {escape(str(self.warehouse))}"
            if self.load_id
            else f"nothing new for {escape(str(self.warehouse))}"
        )
        table = Table(title=title)
        for name, justify in [("table", "left"), ("file", "left"), ("read", "right")]:
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        table.add_column("loaded", justify="right")
        table.add_column("rejected", justify="right")
        table.add_column("note")
        for s in self.sources:
            if s.skipped:
                table.add_row(s.table, Text(Path(s.source_file).name), "", "", "", "skipped: already loaded")
            else:
                note = "" if s.rows_read else "no rows"
                table.add_row(
                    s.table,
                    Text(Path(s.source_file).name),  # a file name is text, not rich markup
                    suppress(s.rows_read),
                    # read = loaded + rejected: a few rejects, or a few rows loaded (a cumulative extract
                    # whose rows were nearly all loaded before), must not be found by subtraction
                    suppress_subset(s.rows_read, s.rows_loaded),
                    suppress_subset(s.rows_read, s.rows_rejected),
                    note,
                )
        return table

    def reasons_table(self) -> Table | None:
        if not self.reject_reasons:
            return None
        table = Table(title="rejected rows by reason (see raw.rejects for row numbers)")
        table.add_column("table")
        table.add_column("reason")
        table.add_column("rows", justify="right")
        # each rejected row has one reason (the first problem found), so a table's reasons add up to its
        # rejects: masked together, so that a small one cannot be found by subtraction
        masked_any = False
        for name in sorted({name for name, _ in self.reject_reasons}):
            reasons = {r: n for (t, r), n in self.reject_reasons.items() if t == name}
            if len(reasons) > 1:
                cells = suppress_parts(sum(reasons.values()), reasons)
            else:
                cells = {r: suppress(n) for r, n in reasons.items()}
            if not self._rejects_shown_exactly(name) and not any(_hidden(c) for c in cells.values()):
                # the counts table hides this table's rejects (a few rows were loaded): the reasons must
                # not add up to them, so the largest is hidden too
                cells[max(reasons, key=lambda r: reasons[r])] = MASK
            masked_any = masked_any or MASK in cells.values()
            for reason in sorted(reasons, key=lambda r: -reasons[r]):
                table.add_row(name, Text(reason), cells[reason])
        if masked_any:
            table.caption = mask_note()
        return table

    def _rejects_shown_exactly(self, table: str) -> bool:
        """Whether the counts table prints every file's rejected count of `table` exactly: neither it nor
        the rows loaded beside it (read - rejected) is from 1 to the threshold."""
        limit = suppression_threshold()
        return all(
            not 0 < s.rows_rejected <= limit and not 0 < s.rows_loaded <= limit
            for s in self._live()
            if s.table == table
        )

    def to_rich_table(self) -> RenderableType:
        """Everything a user needs after a load: counts, reject reasons and warnings."""
        parts: list[RenderableType] = [self.counts_table()]
        reasons = self.reasons_table()
        if reasons is not None:
            parts.append(reasons)
        for warning in self.warnings:
            parts.append(Text(f"warning: {warning}", style="yellow"))
        return Group(*parts)


def _hidden(cell: str) -> bool:
    # MASK, '<11' or 'all but <11'
    return cell == MASK or "<" in cell
