"""What every output format has in common: the options, the output of one conversion, and the family protocol.

A *family* (``fhir``, ``odm``, ``model``) serves one or more versions; a *format* is a family at one version
(``fhir-r5``). The list of formats lives in :mod:`trialexport.formats.registry` only. Writing a format is always
the same pipeline (:meth:`Format.write`): build the document from the trial, serialize it, validate it against the
official schema of that version, and account for every populated model field (mapped or not carried, and why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from trialexport.diagnostics import Diagnostic
from trialexport.mapkit.coverage import Coverage, compute

if TYPE_CHECKING:
    from trialexport.model import Trial


@dataclass(slots=True)
class Options:
    """Conversion options shared by all formats."""

    bundle_type: str = "collection"  # FHIR Bundle.type: collection | transaction | batch
    max_entries: int | None = None  # FHIR transaction/batch: split a study's Bundle into parts of at most this many
    model_format: str = "json"  # model writer: json | yaml
    validate: bool = True  # validate against the official schema (never off for fixtures)
    source_date_epoch: int | None = None  # fallback timestamp when the record has none
    model_check: bool = False  # FHIR: also parse with the fhir.resources models, a second opinion that adds no
    # verdict on our outputs (tests/test_validators_model_parity.py); the schema, required, choice, binding and
    # reference checks always run when validate is on


@dataclass(slots=True)
class Output:
    """One format of one trial: the bytes, what was noticed (errors mean the bytes must not be used), coverage."""

    data: bytes
    diagnostics: list[Diagnostic] = field(default_factory=list)
    coverage: Coverage | None = None
    parts: list[bytes] = field(default_factory=list)  # a split document's further files (part 2, 3, ...) in order

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


class Parts(tuple[Any, ...]):
    """A document split into several files that are loaded in this order (a FHIR Bundle cut for a server's
    transaction limit): :meth:`Format.write` serializes each, and the family validates them as one set."""


@dataclass(slots=True)
class Built:
    """A document built from a trial, before serialization: the family's own object (a Bundle dict, an ODM tree),
    the mapping diagnostics, and the model paths the mapping read (``None``: coverage is not tracked)."""

    doc: Any
    diagnostics: list[Diagnostic]
    sources: frozenset[str] | None


class Family(Protocol):
    """A family of formats: how its documents are built, serialized, validated and recognised."""

    name: str
    versions: tuple[str, ...]

    def build(self, trial: Trial, version: str, options: Options) -> Built:
        """Map the trial to a document of ``version`` (no validation)."""
        ...

    def serialize(self, doc: Any, version: str, options: Options) -> bytes:
        """The document's deterministic bytes."""
        ...

    def validate(self, doc: Any, data: bytes, version: str, options: Options) -> list[Diagnostic]:
        """Official-schema and rule checks of a built document (``data``: its serialization)."""
        ...

    def not_carried(self, version: str) -> dict[str, str]:
        """Why a model field is deliberately not carried by ``version`` (model path -> reason)."""
        ...

    def suffix(self, version: str, options: Options) -> str:
        """File name suffix of an output, e.g. ``fhir-r5.json``."""
        ...

    def claims(self, doc: Any) -> bool:
        """Whether a parsed file (a JSON value or an lxml tree) is a document of this family."""
        ...

    def check(self, doc: Any, data: bytes, version: str | None, source: str) -> list[Diagnostic]:
        """Validate a document of this family written by anyone (``trialexport validate``); ``version``: a hint
        (``None``: detect it from the content)."""
        ...


@dataclass(frozen=True, slots=True)
class Format:
    """One output format: a family at one version, under the name users give to ``--to``."""

    name: str
    family: Family
    version: str
    title: str
    export: bool = True  # part of ``--to all``

    def suffix(self, options: Options | None = None) -> str:
        """File name suffix, e.g. ``fhir-r5.json`` (``model.yaml`` for YAML model output)."""
        return self.family.suffix(self.version, options or Options())

    def write(self, trial: Trial, options: Options | None = None) -> Output:
        """Build, serialize and (unless ``options.validate`` is off) validate; account for every populated field."""
        options = options or Options()
        built = self.family.build(trial, self.version, options)
        docs = built.doc if isinstance(built.doc, Parts) else (built.doc,)
        data, *parts = [self.family.serialize(doc, self.version, options) for doc in docs]
        diagnostics = list(built.diagnostics)
        if options.validate:
            diagnostics += self.family.validate(built.doc, data, self.version, options)
        coverage = None
        if built.sources is not None:
            coverage = compute(trial, built.sources, self.family.not_carried(self.version))
        return Output(data, diagnostics, coverage if coverage is not None else Coverage(), parts)
