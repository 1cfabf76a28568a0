"""The internal trial model: one typed shape that every reader fills and every writer reads.

It covers the whole ClinicalTrials.gov protocol section (plus the derived MeSH terms),
in snake_case. Coded fields are plain strings holding the registry's enum values
(e.g. ``"PHASE1"``): a value the registry adds next year is kept as text, and the
mapping layer warns about it instead of failing. Anything a reader found that has no
place here is kept in :attr:`Trial.extras`, keyed by its source path, so nothing read is lost.

Dates keep their real precision: ``"2015-08"`` stays month-precision.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

PARTIAL_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class Part(BaseModel):
    """Base for all model parts: unknown keys are errors, so typos in hand-written files are caught."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=False)


def check_partial_date(value: str | None) -> str | None:
    """Reject impossible dates (``2019-02-30``, ``2019-13``) while keeping partial ones (``2019``, ``2019-02``)."""
    if value is None:
        return value
    problem = _date_problem(value)
    if problem:
        raise ValueError(problem)
    return value


@lru_cache(maxsize=8192)  # a record's dates are checked by the reader and by the model; registries repeat dates
def _date_problem(value: str) -> str:
    parts = [int(p) for p in value.split("-")]
    year, month, day = (parts + [1, 1])[:3]
    try:
        datetime.date(year, month, day)
    except ValueError as exc:
        return f"impossible date {value!r}: {exc}"
    return ""


class DateInfo(Part):
    """A registry date with its precision kept and whether it is ACTUAL or ESTIMATED."""

    date: str = Field(pattern=PARTIAL_DATE_PATTERN, description="YYYY, YYYY-MM or YYYY-MM-DD; never padded.")
    type: str | None = Field(None, description="ACTUAL or ESTIMATED (registry DateType); absent when unknown.")

    _check = field_validator("date")(classmethod(lambda cls, v: check_partial_date(v)))

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        return ("year", "month", "day")[self.date.count("-")]


class OrgStudyId(Part):
    id: str
    type: str | None = Field(None, description="OrgStudyIdType: NIH, FDA, VA, CDC, AHRQ, SAMHSA.")
    link: str | None = None


class SecondaryId(Part):
    id: str
    type: str | None = Field(None, description="SecondaryIdType, e.g. NIH, EUDRACT_NUMBER, CTIS, REGISTRY, OTHER.")
    domain: str | None = Field(None, description="Issuing body or registry, free text.")
    link: str | None = None


class Organization(Part):
    """An organization with its registry agency class (NIH, FED, OTHER_GOV, INDIV, INDUSTRY, NETWORK, ...)."""

    name: str
    agency_class: str | None = None


class Identification(Part):
    nct_id: str | None = Field(None, description="ClinicalTrials.gov identifier, e.g. NCT04318600.")
    nct_id_aliases: list[str] = []
    org_study_id: OrgStudyId | None = None
    secondary_ids: list[SecondaryId] = []
    brief_title: str | None = None
    official_title: str | None = None
    acronym: str | None = None
    organization: Organization | None = None


class ExpandedAccessInfo(Part):
    has_expanded_access: bool | None = None
    nct_id: str | None = None
    status_for_nct_id: str | None = None


class Status(Part):
    """Recruitment status and the study's key dates."""

    overall_status: str | None = Field(None, description="Registry Status, e.g. RECRUITING, COMPLETED, WITHDRAWN.")
    last_known_status: str | None = None
    delayed_posting: bool | None = None
    why_stopped: str | None = None
    status_verified_date: str | None = Field(None, pattern=PARTIAL_DATE_PATTERN)
    expanded_access: ExpandedAccessInfo | None = None
    start_date: DateInfo | None = None
    primary_completion_date: DateInfo | None = None
    completion_date: DateInfo | None = None
    first_submitted_date: str | None = Field(None, pattern=PARTIAL_DATE_PATTERN)
    first_submitted_qc_date: str | None = Field(None, pattern=PARTIAL_DATE_PATTERN)
    first_posted_date: DateInfo | None = None
    results_first_submitted_date: str | None = Field(None, pattern=PARTIAL_DATE_PATTERN)
    results_first_submitted_qc_date: str | None = Field(None, pattern=PARTIAL_DATE_PATTERN)
    results_first_posted_date: DateInfo | None = None
    last_update_submitted_date: str | None = Field(None, pattern=PARTIAL_DATE_PATTERN)
    last_update_posted_date: DateInfo | None = None

    _check = field_validator(
        "status_verified_date",
        "first_submitted_date",
        "first_submitted_qc_date",
        "results_first_submitted_date",
        "results_first_submitted_qc_date",
        "last_update_submitted_date",
    )(classmethod(lambda cls, v: check_partial_date(v)))


class ResponsibleParty(Part):
    type: str | None = Field(None, description="SPONSOR, PRINCIPAL_INVESTIGATOR or SPONSOR_INVESTIGATOR.")
    investigator_full_name: str | None = None
    investigator_title: str | None = None
    investigator_affiliation: str | None = None
    old_name_title: str | None = None
    old_organization: str | None = None


class Sponsors(Part):
    lead_sponsor: Organization | None = None
    collaborators: list[Organization] = []
    responsible_party: ResponsibleParty | None = None


class Oversight(Part):
    has_dmc: bool | None = None
    is_fda_regulated_drug: bool | None = None
    is_fda_regulated_device: bool | None = None
    is_unapproved_device: bool | None = None
    is_ppsd: bool | None = None
    is_us_export: bool | None = None
    fdaaa801_violation: bool | None = None


class Description(Part):
    brief_summary: str | None = None
    detailed_description: str | None = None


class MeshTerm(Part):
    id: str
    term: str


class Conditions(Part):
    conditions: list[str] = []
    keywords: list[str] = []
    condition_mesh: list[MeshTerm] = Field([], description="MeSH descriptors the registry derived for the conditions.")
    intervention_mesh: list[MeshTerm] = Field([], description="MeSH descriptors derived for the interventions.")


class ExpandedAccessTypes(Part):
    individual: bool | None = None
    intermediate: bool | None = None
    treatment: bool | None = None


class Design(Part):
    """How the study is built: type, phases, allocation, masking, enrollment, ..."""

    study_type: str | None = Field(None, description="INTERVENTIONAL, OBSERVATIONAL or EXPANDED_ACCESS.")
    patient_registry: bool | None = None
    expanded_access_types: ExpandedAccessTypes | None = None
    target_duration: str | None = Field(None, description="Registry text such as '3 Years'.")
    phases: list[str] = Field([], description="NA, EARLY_PHASE1, PHASE1 ... PHASE4; pairs such as [PHASE1, PHASE2].")
    allocation: str | None = None
    intervention_model: str | None = None
    intervention_model_description: str | None = None
    primary_purpose: str | None = None
    observational_model: str | None = None
    time_perspective: str | None = None
    masking: str | None = Field(None, description="NONE, SINGLE, DOUBLE, TRIPLE or QUADRUPLE.")
    masking_description: str | None = None
    who_masked: list[str] = []
    bio_spec_retention: str | None = None
    bio_spec_description: str | None = None
    enrollment_count: int | None = Field(
        None, ge=0, le=2_147_483_647, description="Participants; at most 2^31-1 (FHIR unsignedInt), larger is absurd."
    )
    enrollment_type: str | None = Field(None, description="ACTUAL or ESTIMATED.")


class Arm(Part):
    label: str
    type: str | None = Field(None, description="EXPERIMENTAL, ACTIVE_COMPARATOR, PLACEBO_COMPARATOR, ...")
    description: str | None = None
    intervention_names: list[str] = Field([], description="As the registry writes them, e.g. 'Drug: Palbociclib'.")


class Intervention(Part):
    type: str | None = Field(None, description="DRUG, DEVICE, BIOLOGICAL, PROCEDURE, ...")
    name: str
    description: str | None = None
    other_names: list[str] = []
    arm_group_labels: list[str] = []


class Outcome(Part):
    measure: str
    description: str | None = None
    time_frame: str | None = None


class Outcomes(Part):
    primary: list[Outcome] = []
    secondary: list[Outcome] = []
    other: list[Outcome] = []


class Age(Part):
    """An age limit as value + unit (``years``, ``months``, ``weeks``, ``days``, ``hours``, ``minutes``)."""

    value: int = Field(ge=0)
    unit: Literal["years", "months", "weeks", "days", "hours", "minutes"]


class Criterion(Part):
    """One eligibility criterion; sub-bullets stay inside ``text``, on their own lines."""

    kind: Literal["inclusion", "exclusion"]
    text: str
    group: str | None = Field(
        None,
        description="The sub-heading the criterion stands under, as the registry wrote it without its colon "
        "('For adolescent participants', 'Part A'), or the qualifier of its heading ('Cohort A1' from 'Inclusion "
        "criteria specific to Cohort A1'); two levels are joined with ' / ' ('PATIENT CHARACTERISTICS / Age'). "
        "None: the criterion applies to every participant.",
    )


class Eligibility(Part):
    criteria_text: str | None = Field(None, description="The registry's criteria block, verbatim.")
    criteria: list[Criterion] = Field([], description="criteria_text split into individual criteria.")
    healthy_volunteers: bool | None = None
    sex: str | None = Field(None, description="ALL, FEMALE or MALE.")
    gender_based: bool | None = None
    gender_description: str | None = None
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    std_ages: list[str] = Field([], description="CHILD, ADULT, OLDER_ADULT.")
    study_population: str | None = None
    sampling_method: str | None = None


class Contact(Part):
    name: str | None = None
    role: str | None = None
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None


class Official(Part):
    name: str | None = None
    affiliation: str | None = None
    role: str | None = Field(None, description="STUDY_CHAIR, STUDY_DIRECTOR, PRINCIPAL_INVESTIGATOR, SUB_INVESTIGATOR.")


class GeoPoint(Part):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Location(Part):
    facility: str | None = None
    status: str | None = Field(None, description="Site recruitment status, e.g. RECRUITING.")
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    geo_point: GeoPoint | None = None
    contacts: list[Contact] = []


class Retraction(Part):
    pmid: str | None = None
    source: str | None = None


class Reference(Part):
    pmid: str | None = None
    type: str | None = Field(None, description="BACKGROUND, RESULT or DERIVED.")
    citation: str | None = None
    retractions: list[Retraction] = []


class Link(Part):
    label: str | None = None
    url: str


class AvailIpd(Part):
    id: str | None = None
    type: str | None = None
    url: str | None = None
    comment: str | None = None


class IpdSharing(Part):
    ipd_sharing: str | None = Field(None, description="YES, NO or UNDECIDED.")
    description: str | None = None
    info_types: list[str] = []
    time_frame: str | None = None
    access_criteria: str | None = None
    url: str | None = None


class Trial(Part):
    """A clinical trial's registration record, independent of where it was read from."""

    model_config = ConfigDict(
        extra="forbid",
        title="trialexport trial model",
        json_schema_extra={"$id": "https://trialexport.invalid/schemas/trial-model.schema.json"},
    )

    identification: Identification = Identification()
    status: Status = Status()
    sponsors: Sponsors = Sponsors()
    oversight: Oversight = Oversight()
    description: Description = Description()
    conditions: Conditions = Conditions()
    design: Design = Design()
    arms: list[Arm] = []
    interventions: list[Intervention] = []
    outcomes: Outcomes = Outcomes()
    eligibility: Eligibility = Eligibility()
    central_contacts: list[Contact] = []
    overall_officials: list[Official] = []
    locations: list[Location] = []
    references: list[Reference] = []
    see_also_links: list[Link] = []
    avail_ipds: list[AvailIpd] = []
    ipd_sharing: IpdSharing | None = None
    has_results: bool | None = Field(None, description="Whether the registry holds a results section.")
    extras: dict[str, Any] = Field(
        {}, description="Source fields with no place in the model, keyed by their source path (nothing read is lost)."
    )

    @property
    def study_id(self) -> str | None:
        """The id that names output files: NCT id, else the org study id."""
        ident = self.identification
        if ident.nct_id:
            return ident.nct_id
        return ident.org_study_id.id if ident.org_study_id else None

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-ready dict without unset/empty defaults (the model file format); a new dict on every call,
        the caller's own (inside :func:`dumped_once` a C-speed copy of one dump)."""
        scope = _SCOPES.get(id(self))
        if scope is None or scope.trial is not self:
            return self.model_dump(mode="json", exclude_defaults=True)
        if scope.dump is not None:
            return orjson.loads(scope.dump)
        data = self.model_dump(mode="json", exclude_defaults=True)
        with suppress(TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits: dump on every call
            scope.dump = orjson.dumps(data)
        return data


@dataclass
class _Scope:
    """One record being converted (:func:`dumped_once`): its trial, its dump, the work its outputs share."""

    trial: Trial
    dump: bytes | None = None
    shared: dict[Any, Any] = field(default_factory=dict)


_SCOPES: dict[int, _Scope] = {}  # id(trial) -> its scope, inside dumped_once


@contextmanager
def dumped_once(trial: Trial) -> Iterator[None]:
    """Within the block :meth:`Trial.to_data` dumps ``trial`` once (pydantic's ``model_dump``, ~0.13 ms a study) and
    hands each caller its own copy (``orjson`` round trip), and :func:`shared_work` gives every output of the record
    one dict for work they share (ODM 1.3.2 and 2.0 compute the same Trial Summary values). Every format of a record
    reads the trial's data (mapping, coverage): issue 17 measured five dumps per study. The trial must not change
    inside the block; outside it every call dumps anew and shares nothing, so a trial changed later (or a
    ``model_copy``) is never answered from the memo."""
    _SCOPES[id(trial)] = _Scope(trial)
    try:
        yield
    finally:
        _SCOPES.pop(id(trial), None)


def shared_work(trial: Trial) -> dict[Any, Any]:
    """The dict the outputs of ``trial``'s record share inside :func:`dumped_once`; outside it, a new empty dict."""
    scope = _SCOPES.get(id(trial))
    return scope.shared if scope is not None and scope.trial is trial else {}


def model_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Trial`, as vendored in ``schemas/trial-model.schema.json``."""
    schema = Trial.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
