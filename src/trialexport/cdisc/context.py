"""The mapping context of every CDISC output (ODM today, SDTM datasets next): the trial, and registry values resolved
to CDISC Controlled Terminology through the crosswalks' ``cdisc`` and ``nci`` columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trialexport.mapkit.context import MapContext
from trialexport.mapkit.crosswalk import Code

if TYPE_CHECKING:
    from trialexport.model import Trial


@dataclass(kw_only=True)
class CdiscContext(MapContext):
    """One trial mapped to one CDISC output; a format refines :meth:`text` (e.g. XML-safe characters)."""

    trial: Trial
    data: dict[str, Any] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)  # model paths (normalized) that reached the output

    def __post_init__(self) -> None:
        if not self.data:
            self.data = self.trial.to_data()

    def text(self, value: Any, path: str) -> str:
        """``value`` as text fit for the output (the base: as it is)."""
        return value if isinstance(value, str) else str(value)

    def cdisc_code(self, table: str, value: str, path: str) -> Code:
        """The CDISC term of a registry value. An unknown value is kept as text (MAP-UNKNOWN-CODE); a value with no
        CDISC term (empty ``cdisc`` cell) is carried as text and noted (MAP-TEXT-ONLY). Either way the returned
        :class:`Code` has no ``cdisc`` or ``nci``."""
        found = self.code(table, value, path)
        if found is None:
            return Code(value)
        if not found.cdisc:
            note = found.note or "no CDISC term"
            self.report("MAP-TEXT-ONLY", f"registry value {value!r} has no CDISC term ({note}): carried as text", path,
                        "info")
            return Code(value)
        return found
