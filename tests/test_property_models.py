"""Property tests: any valid trial model gives valid output in every format, and FHIR R5 keeps its identity.

Trials are built from the pydantic classes in :mod:`trialexport.model`: empty optional sections, longer lists,
non-BMP characters, combining marks, right-to-left text and partial dates (YYYY, YYYY-MM, valid YYYY-MM-DD).
The FHIR part requires ``trialexport.formats.fhir.bundle``: if it cannot be imported the test fails, it never skips.
"""

from __future__ import annotations

import calendar
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialexport.formats.base import Options
from trialexport.formats.registry import get as get_format
from trialexport.mapkit import crosswalk
from trialexport.model import (
    Age,
    Arm,
    Conditions,
    Criterion,
    DateInfo,
    Description,
    Design,
    Eligibility,
    Identification,
    Intervention,
    Location,
    OrgStudyId,
    Outcome,
    Outcomes,
    Status,
    Trial,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ODM_TARGETS = ("odm-1.3.2", "odm-2.0")
FHIR_TARGETS = ("fhir-r5", "fhir-r4")

# Unicode that is valid model text but easy to get wrong: non-BMP, combining marks, RTL, zero-width joiners.
SPECIAL = ["𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "e\u0301te\u0301", "مرحبا بالعالم", "\u05e9\u05dc\u05d5\u05dd", "😀👩\u200d🔬", "Ω≈ç√∫",
           "a&b<c>\"d'"]
# Lone surrogates and C0 controls are covered by the hostile-input tests; Unicode whitespace (NBSP, U+2028, ...)
# is included: R5 keeps it, the R4 writer turns it into spaces (R4 strings match ^[ \r\n\t\S]+$).
_chars = st.characters(blacklist_categories=("Cs", "Cc"))
TEXT = st.one_of(st.sampled_from(SPECIAL), st.text(_chars, min_size=1, max_size=40)).filter(lambda s: s.strip() != "")
OPT_TEXT = st.none() | TEXT


def _codes(name: str) -> list[str]:
    return [code for code in crosswalk.table(name) if "|" not in code]


@st.composite
def partial_dates(draw: st.DrawFn) -> str:
    year = draw(st.integers(1950, 2060))
    precision = draw(st.sampled_from(("year", "month", "day")))
    if precision == "year":
        return f"{year:04d}"
    month = draw(st.integers(1, 12))
    if precision == "month":
        return f"{year:04d}-{month:02d}"
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    return f"{year:04d}-{month:02d}-{day:02d}"


def date_infos() -> st.SearchStrategy[DateInfo | None]:
    return st.none() | st.builds(DateInfo, date=partial_dates(), type=st.sampled_from((None, "ACTUAL", "ESTIMATED")))


@st.composite
def trials(draw: st.DrawFn) -> Trial:
    nct = f"NCT{draw(st.integers(0, 99_999_999)):08d}"
    n_arms = draw(st.integers(0, 6))
    labels = [f"Arm {i} {draw(TEXT)}" for i in range(n_arms)]
    arms = [Arm(label=label, type=draw(st.sampled_from([None, *_codes("arm_type")])), description=draw(OPT_TEXT),
                intervention_names=draw(st.lists(TEXT, max_size=3))) for label in labels]
    interventions = [
        Intervention(name=f"Intervention {i} {draw(TEXT)}",
                     type=draw(st.sampled_from([None, *_codes("intervention_type")])),
                     description=draw(OPT_TEXT), other_names=draw(st.lists(TEXT, max_size=2)),
                     arm_group_labels=draw(st.lists(st.sampled_from(labels), max_size=2, unique=True)) if labels
                     else [])
        for i in range(draw(st.integers(0, 4)))
    ]
    criteria = draw(st.lists(st.builds(Criterion, kind=st.sampled_from(("inclusion", "exclusion")), text=TEXT,
                                       group=st.none() | TEXT), max_size=12))
    phases = draw(st.sampled_from([[], ["NA"], ["EARLY_PHASE1"], ["PHASE1"], ["PHASE1", "PHASE2"], ["PHASE2"],
                                   ["PHASE2", "PHASE3"], ["PHASE3"], ["PHASE4"]]))
    min_age = draw(st.none() | st.builds(Age, value=st.integers(0, 30), unit=st.sampled_from(("years", "months"))))
    max_age = draw(st.none() | st.builds(Age, value=st.integers(31, 120), unit=st.just("years")))
    return Trial(
        identification=Identification(
            nct_id=nct, brief_title=draw(TEXT), official_title=draw(OPT_TEXT), acronym=draw(OPT_TEXT),
            org_study_id=draw(st.none() | st.builds(OrgStudyId, id=TEXT)),
        ),
        status=Status(
            overall_status=draw(st.sampled_from(_codes("overall_status"))),
            start_date=draw(date_infos()), primary_completion_date=draw(date_infos()),
            completion_date=draw(date_infos()), status_verified_date=draw(st.none() | partial_dates()),
            first_submitted_date=draw(st.none() | partial_dates()),
        ),
        description=Description(brief_summary=draw(OPT_TEXT), detailed_description=draw(OPT_TEXT)),
        conditions=Conditions(conditions=draw(st.lists(TEXT, max_size=4)), keywords=draw(st.lists(TEXT, max_size=4))),
        design=Design(
            study_type=draw(st.sampled_from([None, *_codes("study_type")])), phases=phases,
            allocation=draw(st.sampled_from([None, *_codes("allocation")])),
            masking=draw(st.sampled_from([None, *_codes("masking")])),
            enrollment_count=draw(st.none() | st.integers(0, 2_147_483_647)),
            enrollment_type=draw(st.sampled_from((None, "ACTUAL", "ESTIMATED"))),
        ),
        arms=arms,
        interventions=interventions,
        outcomes=Outcomes(primary=draw(st.lists(st.builds(Outcome, measure=TEXT, description=OPT_TEXT,
                                                          time_frame=OPT_TEXT), max_size=3))),
        eligibility=Eligibility(
            criteria=criteria, sex=draw(st.sampled_from((None, "ALL", "FEMALE", "MALE"))),
            minimum_age=min_age, maximum_age=max_age, healthy_volunteers=draw(st.none() | st.booleans()),
        ) if draw(st.booleans()) else Eligibility(),
        locations=draw(st.lists(st.builds(Location, facility=OPT_TEXT, city=OPT_TEXT, country=OPT_TEXT),
                                max_size=5)),
    )


def _errors(trial: Trial, target: str) -> list[str]:
    out = get_format(target).write(trial, Options(source_date_epoch=1_700_000_000))
    return [d.format_text() for d in out.diagnostics if d.is_error]


@SETTINGS
@given(trials())
def test_every_valid_model_gives_valid_odm(trial: Trial) -> None:
    for target in ("model", *ODM_TARGETS):
        assert _errors(trial, target) == [], target


def _research_study(bundle: dict[str, Any]) -> dict[str, Any]:
    (study,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchStudy"]
    return study


@SETTINGS
@given(trials())
def test_every_valid_model_gives_valid_fhir_and_r5_keeps_identity(trial: Trial) -> None:
    import trialexport.formats.fhir.bundle  # noqa: F401 - must exist: an ImportError fails this test

    for target in FHIR_TARGETS:
        assert _errors(trial, target) == [], target
    out = get_format("fhir-r5").write(trial, Options(source_date_epoch=1_700_000_000))
    bundle = json.loads(out.data)
    study = _research_study(bundle)
    assert {"use": "official", "system": "http://clinicaltrials.gov",
            "value": trial.identification.nct_id} in study["identifier"]
    assert study["title"] == trial.identification.brief_title
    phase = crosswalk.lookup("phase", "|".join(trial.design.phases), "fhir_r5")
    if phase:
        assert study["phase"]["coding"][0]["code"] == phase
    status = crosswalk.lookup("overall_status", trial.status.overall_status or "", "fhir_r5")
    states = [c["code"] for p in study.get("progressStatus", []) for c in p["state"].get("coding", [])]
    if status:
        assert status in states
    assert len(study.get("comparisonGroup", [])) == len(trial.arms)
    groups = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Group"]
    criteria = [c for g in groups for c in g.get("characteristic", [])
                if "valueBoolean" in c and "coding" not in c["code"]]
    assert len(criteria) == len(trial.eligibility.criteria)
    groups = [[e["valueString"] for e in c.get("extension", []) if e["url"].endswith("/criterion-group")]
              for c in criteria]
    assert groups == [[c.group] if c.group else [] for c in trial.eligibility.criteria]


def test_fhir_unicode_whitespace() -> None:
    """Registry text often holds NO-BREAK SPACE: R4 strings cannot, so the R4 writer turns it into a space."""
    trial = Trial(identification=Identification(nct_id="NCT00000001", brief_title="Title\u00a0with NBSP"),
                  outcomes=Outcomes(primary=[Outcome(measure="Pain\u00a0score", time_frame="12\u00a0weeks")]))
    for target in FHIR_TARGETS:
        assert _errors(trial, target) == [], target
