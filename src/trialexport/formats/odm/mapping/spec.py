"""Version-neutral ODM metadata spec (events, forms, item groups, items, code lists) built from the trial."""

from __future__ import annotations

from dataclasses import dataclass, field

Alias = tuple[str, str]  # (Context, Name)
# ``static``: built from the mapping tables alone, so every study with the same content gets the same text
# (the serializers write it once per process, keyed by :meth:`key`).


@dataclass(slots=True)
class CodeItem:
    value: str
    decode: str
    aliases: list[Alias] = field(default_factory=list)


@dataclass(slots=True)
class CodeListSpec:
    oid: str
    name: str
    items: list[CodeItem]
    aliases: list[Alias] = field(default_factory=list)
    datatype: str = "text"
    static: bool = False  # the whole element comes from the tables (written once per process)
    static_items: bool = False  # each item comes from the tables (a per-item copy, a TS subset): written once each

    def key(self) -> tuple[object, ...]:
        """Everything the CodeList element is written from."""
        items = tuple((i.value, i.decode, tuple(i.aliases)) for i in self.items)
        return ("CodeList", self.oid, self.name, self.datatype, items, tuple(self.aliases))


@dataclass(slots=True)
class RangeCheckSpec:
    comparator: str  # GE, LE, IN ...
    value: str
    unit: str | None = None  # model unit (years, months, ...)
    soft: bool = False  # Soft: a warning the data entry may override (EDC practice for eligibility ranges)

    def message(self, item_name: str) -> str:
        """The ErrorMessage text, e.g. ``Age must be at least 14 years`` (same in every ODM version)."""
        words = {"GE": "at least", "LE": "at most", "GT": "more than", "LT": "less than", "IN": "one of"}
        limit = f"{self.value} {self.unit or ''}".strip()
        return f"{item_name} must be {words.get(self.comparator, self.comparator)} {limit}"


@dataclass(slots=True)
class ItemSpec:
    oid: str
    name: str
    datatype: str
    question: str | None = None
    description: str | None = None
    codelist: str | None = None
    range_checks: list[RangeCheckSpec] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # model units (1.3.2 MeasurementUnitRef)
    unit_item: str | None = None  # 2.0: OID of the item holding the unit
    aliases: list[Alias] = field(default_factory=list)
    method: str | None = None  # MethodDef OID deriving the item (ItemRef/@MethodOID)
    static: bool = False
    sds: str | None = None  # SDTM variable name (1.3.2 ItemDef/@SDSVarName)
    key_sequence: int | None = None  # ItemRef/@KeySequence (a key variable of a dataset-like group)

    def key(self) -> tuple[object, ...]:
        """Everything the ItemDef element is written from (``method`` and ``unit_item`` are ItemRef attributes)."""
        checks = tuple((rc.comparator, rc.value, rc.unit, rc.soft) for rc in self.range_checks)
        return ("ItemDef", self.oid, self.name, self.datatype, self.question, self.description, self.codelist,
                checks, tuple(self.units), tuple(self.aliases), self.sds)


@dataclass(slots=True)
class MethodSpec:
    """A derivation: 2.0 MethodSignature takes ``params`` (item keys) and returns ``result``."""

    oid: str
    name: str
    type: str
    description: str
    params: list[str]
    result: str
    context: str = ""  # FormalExpression/@Context ("" = no FormalExpression)
    expression: str = ""


@dataclass(slots=True)
class GroupSpec:
    oid: str
    name: str
    items: list[ItemSpec]
    form_oid: str | None = None  # 1.3.2 FormDef / 2.0 ItemGroupDef Type=Form
    form_name: str | None = None
    repeating: bool = False
    reference: bool = False
    description: str | None = None
    domain: str | None = None


@dataclass(slots=True)
class EventSpec:
    oid: str
    name: str
    type: str
    repeating: str
    epoch: dict[str, str]  # the epochs.csv row of the event's epoch
    groups: list[GroupSpec]


@dataclass(slots=True)
class CriterionSpec:
    """One eligibility criterion: its item (IT.ELIG.IN01) and 2.0 ConditionDef."""

    key: str  # IN01 / EX03
    kind: str
    text: str
    group: str | None = None  # the sub-heading it stands under (ItemDef Description)


@dataclass(slots=True)
class Spec:
    version: str
    events: list[EventSpec]
    groups: list[GroupSpec]  # every ItemGroupDef (forms' groups first, then reference data)
    codelists: dict[str, CodeListSpec]
    units: list[str]  # model units used (MeasurementUnits)
    criteria: list[CriterionSpec]
    methods: list[MethodSpec] = field(default_factory=list)
