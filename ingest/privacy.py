"""Small-cell suppression for anything printed or written to a report."""

from __future__ import annotations

import os

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
