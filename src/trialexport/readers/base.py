"""What every reader has in common: the protocol of one kind of input record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from trialexport.diagnostics import Diagnostic
    from trialexport.model import Trial


class Reader(Protocol):
    """One kind of input record: how it is recognised and how it becomes a Trial.

    ``shape`` says what the reader is given: ``"json"`` a decoded JSON/YAML value (one record, already split out of
    its container), ``"text"`` the whole text of a file or member, ``"xml"`` the text of an XML document (detect with
    :func:`trialexport.xmlsafe.root_name`, parse with :func:`trialexport.xmlsafe.parse_xml`). Readers import their
    heavy code on first use.
    """

    name: str  # the ``--from`` value
    title: str
    shape: str

    def claims(self, value: Any) -> bool:
        """Whether ``value`` is a record of this kind (content detection; the registry asks in its order)."""
        ...

    def record_id(self, value: Any) -> str | None:
        """The record's own id, if it has one where the reader can find it cheaply (for messages)."""
        ...

    def read(self, value: Any, text: str | None) -> tuple[Trial | None, list[Diagnostic]]:
        """The Trial (``None`` when unusable) and what was noticed; ``text``: the source text, to locate errors."""
        ...
