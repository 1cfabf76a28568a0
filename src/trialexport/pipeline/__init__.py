"""Converting records in bulk: :mod:`.record` (one record through the formats), :mod:`.batch` (inputs, workers,
atomic writes in input order), :mod:`.resume` (finishing an interrupted run)."""

from __future__ import annotations

from .batch import convert_paths
from .record import RecordOutcome

__all__ = ["RecordOutcome", "convert_paths"]
