"""Small-cell suppression for anything printed or written to a report."""

from __future__ import annotations

import os
from collections.abc import Sequence

DEFAULT_THRESHOLD = 10


def suppression_threshold() -> int:
    """Counts from 1 to this value are hidden; $LUMBAR_SUPPRESS_BELOW overrides (0 disables)."""
    raw = os.environ.get("LUMBAR_SUPPRESS_BELOW")
    return int(raw) if raw and raw.isdigit() else DEFAULT_THRESHOLD


def suppress(count: int | None, threshold: int | None = None) -> str:
    """Format a patient count for display: 1..threshold becomes '<threshold+1'."""
    if count is None:
        return ""
    limit = suppression_threshold() if threshold is None else threshold
    if 0 < count <= limit:
        return f"<{limit + 1}"
    return f"{count:,}"


COMPLEMENTARY_MASK = "*"  # a count hidden only so that a small one cannot be recovered by subtraction


def suppress_with_total(
    total: int, parts: Sequence[int], threshold: int | None = None
) -> tuple[str, list[str]]:
    """Format a total and the parts that add up to it (a row of sites beside its 'all' column) so that no
    hidden count can be recovered by subtraction.

    Counts 1..threshold print as '<threshold+1'. If the hidden parts together come to 1..threshold, the total
    minus the shown parts would give that small count away, so the smallest shown non-zero parts are hidden
    too, printed as '*' (complementary suppression), until the hidden parts add up to more than the threshold
    or nothing is left to hide. Zeros stay visible: they reveal no patient.
    """
    limit = suppression_threshold() if threshold is None else threshold
    small = [0 < p <= limit for p in parts]
    hidden = list(small)

    def hidden_sum() -> int:
        return sum(p for p, h in zip(parts, hidden, strict=True) if h)

    while 0 < hidden_sum() <= limit:
        shown = [i for i, p in enumerate(parts) if p > 0 and not hidden[i]]
        if not shown:
            break  # every non-zero part is hidden: the total is then small too, and suppress() hides it
        hidden[min(shown, key=lambda i: (parts[i], i))] = True
    cells = [
        suppress(p, limit) if is_small else COMPLEMENTARY_MASK if h else f"{p:,}"
        for p, is_small, h in zip(parts, small, hidden, strict=True)
    ]
    return suppress(total, limit), cells
