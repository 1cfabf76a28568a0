"""The mapping context of every CDISC output (ODM today, SDTM datasets next): the trial, and registry values resolved
to CDISC Controlled Terminology through the crosswalks' ``cdisc`` and ``nci`` columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from trialexport.mapkit.context import MapContext
from trialexport.mapkit.crosswalk import Code
from trialexport.model import shared_work

if TYPE_CHECKING:
    from trialexport.model import Trial

V = TypeVar("V")


@dataclass(kw_only=True)
class CdiscContext(MapContext):
    """One trial mapped to one CDISC output; a format refines :meth:`text` (e.g. XML-safe characters)."""

    trial: Trial
    data: dict[str, Any] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)  # model paths (normalized) that reached the output
    shared: dict[Any, Any] = field(default_factory=dict)  # the record's work its outputs share (model.shared_work)

    def __post_init__(self) -> None:
        if not self.data:
            self.data = self.trial.to_data()
        self.shared = shared_work(self.trial)

    def once(self, key: Any, compute: Callable[[], V]) -> V:
        """``compute()`` once per record and context kind (inside :func:`trialexport.model.dumped_once`, as the
        pipeline converts a record): a later output of the record with an equal context gets
        the value, and the findings it reported and the model paths it carried, as if it had computed it.
        ``compute`` must depend on the trial's data and ``key`` only (not on what this output mapped so far)."""
        key = (type(self), key)
        found = self.shared.get(key)
        if found is None:
            seen, diagnostics, carried = self._seen, self.diagnostics, self.carried
            self._seen, self.diagnostics, self.carried = set(), [], set()
            try:
                value = compute()
                found = (value, self.diagnostics, self.carried)
            finally:
                self._seen, self.diagnostics, self.carried = seen, diagnostics, carried
            self.shared[key] = found
        value, reported, paths = found
        for d in reported:
            self.report(d.code, d.message, d.path or "", d.severity)
        self.carried |= paths
        return value

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
