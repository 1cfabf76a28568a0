"""FHIR writer: mapped values on the seed page and on corpus studies of different shapes (R5 and R4).

Expectations are computed from the registry JSON (or the reader's model), not hard-coded.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import DATA

from trialexport.formats.fhir.bundle import map_bundle

# Registry value -> FHIR code, as published (mapping reference section 7); independent of the tables under test.
PHASE = {"NA": "n-a", "EARLY_PHASE1": "early-phase-1", "PHASE1": "phase-1", "PHASE2": "phase-2", "PHASE3": "phase-3",
         "PHASE4": "phase-4", "PHASE1|PHASE2": "phase-1-phase-2", "PHASE2|PHASE3": "phase-2-phase-3"}  # fmt: skip
SEVCO = {"INTERVENTIONAL": "SEVCO:01001", "OBSERVATIONAL": "SEVCO:01002", "RANDOMIZED": "SEVCO:01003",
         "NON_RANDOMIZED": "SEVCO:01005", "PARALLEL": "SEVCO:01011", "CROSSOVER": "SEVCO:01012",
         "PARTICIPANT": "SEVCO:01060", "CARE_PROVIDER": "SEVCO:01061", "OUTCOMES_ASSESSOR": "SEVCO:01062",
         # R5 study-design (SEVCO) concepts for observational designs: Case control design, Family study design,
         # Ecological design, Cross sectional data collection
         "CASE_CONTROL": "SEVCO:01013", "FAMILY_BASED": "SEVCO:01020", "ECOLOGIC_OR_COMMUNITY": "SEVCO:01044",
         "CROSS_SECTIONAL": "SEVCO:01027"}  # fmt: skip
R5_STATE = {"COMPLETED": "completed", "WITHDRAWN": "withdrawn", "RECRUITING": "recruiting", "TERMINATED": "terminated",
            "ACTIVE_NOT_RECRUITING": "active-but-not-recruiting"}  # fmt: skip
R4_STATUS = {"COMPLETED": "completed", "WITHDRAWN": "withdrawn", "RECRUITING": "active",
             "ACTIVE_NOT_RECRUITING": "closed-to-accrual"}  # fmt: skip (UNKNOWN: no R4 code, data-absent-reason)
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
UCUM = {"Year": "a", "Month": "mo", "Week": "wk", "Day": "d"}


def arm_code(registry: str) -> str:
    return "other-arm-type" if registry == "OTHER" else registry.lower().replace("_", "-")


def by_type(bundle: dict, rtype: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def codes(concepts: list[dict] | dict | None, nci: bool = False) -> list[str]:
    """The codes of the concepts: FHIR codings, or (``nci``) the NCI Thesaurus second codings."""
    items = concepts if isinstance(concepts, list) else [concepts] if concepts else []
    return [c["code"] for cc in items for c in cc.get("coding", []) if (c["system"] == NCIT) == nci]


def criteria(group: dict) -> list[dict]:
    return [c for c in group.get("characteristic", []) if "coding" not in c["code"]]


def ext(resource: dict, name: str) -> list[dict]:
    url = f"http://hl7.org/fhir/5.0/StructureDefinition/extension-ResearchStudy.{name}"
    return [e for e in resource.get("extension", []) if e["url"] == url]


def sub(extension: dict, key: str) -> list:
    return [next(v for k, v in e.items() if k.startswith("value")) for e in extension["extension"] if e["url"] == key]


def age(text: str | None) -> dict | None:
    if not text:
        return None
    value, unit = text.split()
    return {"value": int(value), "code": UCUM[unit.rstrip("s")]}


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_seed_page_values(seed_trial, version):
    bundle, diags = map_bundle(seed_trial, version)
    assert diags == []
    (study,) = by_type(bundle, "ResearchStudy")
    (group,) = by_type(bundle, "Group")
    (plan,) = by_type(bundle, "PlanDefinition")
    assert codes(study["phase"]) == ["phase-1"]
    assert study["identifier"][0] == {"use": "official", "system": "http://clinicaltrials.gov", "value": "NCT04318600"}
    design = study["studyDesign" if version == "r5" else "category"]
    assert codes(design) == ["SEVCO:01001", "SEVCO:01005", "SEVCO:01011", "SEVCO:01060"]
    assert [d["text"] for d in design] == ["INTERVENTIONAL", "NON_RANDOMIZED", "PARALLEL", "SINGLE", "PARTICIPANT"]
    arms = study["comparisonGroup" if version == "r5" else "arm"]
    assert [codes(a["type"]) for a in arms] == [["experimental"], ["no-intervention"]]
    assert [a["title"] for a in plan["action"]] == [a["name"] for a in arms]
    (age_char,) = [c for c in group["characteristic"] if codes(c["code"]) == ["30525-0"]]
    rng = age_char["valueRange"]
    assert (rng["low"]["value"], rng["low"]["code"], rng["high"]["value"], rng["high"]["code"]) == (14, "a", 60, "a")
    crit = criteria(group)
    assert len(crit) == 14 and all(c["exclude"] is True and c["valueBoolean"] is True for c in crit)
    assert not [c for c in crit if not c["exclude"]]
    pubmed = [a for a in study["relatedArtifact"] if a.get("document", {}).get("url", "").endswith("/35412950/")]
    assert pubmed and pubmed[0]["type"] == "citation"
    orgs = {o["name"] for o in by_type(bundle, "Organization")}
    assert orgs == {"Yan'an Affiliated Hospital of Kunming Medical University", "The First People's Hospital of Yunnan"}
    if version == "r5":
        assert codes(study["progressStatus"][0]["state"]) == ["completed"]
        assert study["status"] == "active"
        # the seed page's responsible party is the sponsor: a responsible-party entry naming the lead sponsor
        assert [codes(p["role"]) for p in study["associatedParty"]] == [["lead-sponsor"], ["collaborator"],
                                                                        ["responsible-party"]]
        assert study["associatedParty"][2]["party"] == study["associatedParty"][0]["party"]
        assert study["recruitment"]["targetNumber"] == 16
    else:
        assert study["status"] == "completed"
        assert study["sponsor"]["display"].startswith("Yan'an")
        collab, responsible = ext(study, "associatedParty")
        assert codes(sub(collab, "role")) == ["collaborator"]
        assert codes(sub(responsible, "role")) == ["responsible-party"]
        assert sub(responsible, "classifier") == [{"text": "SPONSOR"}]
        assert study["enrollment"][0]["reference"] == bundle["entry"][2]["fullUrl"]


GROUP_URL = "https://trialexport.org/fhir/StructureDefinition/criterion-group"  # the project's own extension


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_criterion_groups_from_qualified_headings(corpus_trials, version):
    """NCT05170204 (read by hand): 'Inclusion Criteria (All Cohorts):' with 14 bullets, then 'Inclusion criteria
    specific to Cohort A1:' (1) and '... Cohort A2:' (2); the exclusion side has 27, 11 and 15."""
    bundle, _ = map_bundle(corpus_trials["NCT05170204"].trial, version)
    (group,) = by_type(bundle, "Group")
    crit = criteria(group)
    labels = [[e["valueString"] for e in c.get("extension", []) if e["url"] == GROUP_URL] for c in crit]
    assert labels == ([["All Cohorts"]] * 14 + [["Cohort A1"]] + [["Cohort A2"]] * 2
                      + [["All Cohorts"]] * 27 + [["Cohort A1"]] * 11 + [["Cohort A2"]] * 15)
    assert crit[14]["code"]["text"].startswith("Documented ALK fusion positivity")
    assert [c["exclude"] for c in crit] == [False] * 17 + [True] * 53
    assert not [c for c in crit if c["code"]["text"].lower().startswith(("inclusion criteria", "exclusion criteria"))]


SHAPES = {
    "NCT06742723": "randomized quadruple-blind phase 3, 706 sites",
    "NCT05170204": "randomized open-label phase 3 with 4 arms and 180 sites",
    "NCT06252142": "observational case-control with 4 cohorts",
    "NCT01438047": "withdrawn observational study",
    "NCT02960672": "UNKNOWN status (R4 fallback)",
}


@pytest.mark.parametrize("version", ["r5", "r4"])
@pytest.mark.parametrize("nct", sorted(SHAPES))
def test_corpus_study_values(corpus_trials, nct, version):
    src = json.loads((DATA / "ctgov-v2" / f"{nct}.json").read_text(encoding="utf-8"))["protocolSection"]
    trial = corpus_trials[nct].trial
    bundle, _ = map_bundle(trial, version)
    (study,) = by_type(bundle, "ResearchStudy")
    (group,) = by_type(bundle, "Group")
    (plan,) = by_type(bundle, "PlanDefinition")
    design_mod = src.get("designModule", {})
    status = src["statusModule"]["overallStatus"]

    ident = src["identificationModule"]
    titles = [t for t in (ident.get("officialTitle"), ident.get("acronym")) if t]
    if version == "r5":
        assert [label["value"] for label in study.get("label", [])] == titles
    else:
        assert [sub(e, "value")[0] for e in ext(study, "label")] == titles
    assert study["title"] == ident["briefTitle"]

    phases = design_mod.get("phases", [])
    assert codes(study.get("phase")) == ([PHASE["|".join(phases)]] if phases else [])

    info = design_mod.get("designInfo", {})
    values = [design_mod["studyType"], info.get("allocation"), info.get("interventionModel"),
              info.get("observationalModel"), info.get("timePerspective"), info.get("maskingInfo", {}).get("masking"),
              *info.get("maskingInfo", {}).get("whoMasked", []),
              src["eligibilityModule"].get("samplingMethod")]  # fmt: skip
    design = study["studyDesign" if version == "r5" else "category"]
    assert [d["text"] for d in design] == [v for v in values if v]
    assert codes(design) == [SEVCO[v] for v in values if v in SEVCO]

    if version == "r5":
        assert codes(study["progressStatus"][0]["state"]) == ([R5_STATE[status]] if status in R5_STATE else [])
        assert study["progressStatus"][0]["state"]["text"] == status
    else:
        if status in R4_STATUS:
            assert study["status"] == R4_STATUS[status] and "_status" not in study
        else:  # no R4 code says it: the element is absent for a reason, never a guessed state
            assert "status" not in study
            assert study["_status"]["extension"] == [
                {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]
        state = ext(study, "progressStatus")[0]["extension"][0]["valueCodeableConcept"]
        assert state["text"] == status
        assert codes(state) == ([R5_STATE[status]] if status in R5_STATE else [])  # R5 codes in R4 too
    if src["statusModule"].get("whyStopped"):
        stopped = study["whyStopped" if version == "r5" else "reasonStopped"]
        assert stopped["text"] == src["statusModule"]["whyStopped"]

    arms = src.get("armsInterventionsModule", {}).get("armGroups", [])
    fhir_arms = study.get("comparisonGroup" if version == "r5" else "arm", [])
    assert [a["name"] for a in fhir_arms] == [a["label"] for a in arms]
    assert [codes(a.get("type")) for a in fhir_arms] == [[arm_code(a["type"])] if "type" in a else [] for a in arms]
    if arms:
        assert [a["id"] for a in plan["action"]] == [f"arm-{i + 1}" for i in range(len(arms))]

    elig = src["eligibilityModule"]
    (age_char,) = [c for c in group["characteristic"] if codes(c["code"]) == ["30525-0"]]
    low, high = age(elig.get("minimumAge")), age(elig.get("maximumAge"))
    rng = age_char["valueRange"]
    assert ({k: rng["low"][k] for k in ("value", "code")} if "low" in rng else None) == low
    assert ({k: rng["high"][k] for k in ("value", "code")} if "high" in rng else None) == high
    crit = criteria(group)
    kinds = [c.kind for c in trial.eligibility.criteria]
    assert [c["exclude"] for c in crit] == [k == "exclusion" for k in kinds]
    assert len(crit) == len(kinds) > 0

    sponsors = src["sponsorCollaboratorsModule"]
    n_collab = len(sponsors.get("collaborators", []))
    if version == "r5":
        orgs = ("LEAD_SPONSOR", "COLLABORATOR")
        roles = [codes(p["role"]) for p in study["associatedParty"] if p["role"]["text"] in orgs]
        assert roles == [["lead-sponsor"]] + [["collaborator"]] * n_collab
    else:
        assert study["sponsor"]["display"] == sponsors["leadSponsor"]["name"]
        parties = [codes(sub(p, "role")[0]) for p in ext(study, "associatedParty")]
        assert parties.count(["collaborator"]) == n_collab

    sites = src.get("contactsLocationsModule", {}).get("locations", [])
    assert len(study.get("site", [])) == len(sites)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    located = [by_url[ref["reference"]] for ref in study.get("site", [])]
    assert [loc.get("address", {}).get("city") for loc in located] == [s.get("city") for s in sites]
    assert all(loc["resourceType"] == "Location" and "status" not in loc for loc in located)

    mods = src.get("outcomesModule", {})
    outcomes = [o for key in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes") for o in mods.get(key, [])]
    measures = study.get("outcomeMeasure") if version == "r5" else [
        {"name": sub(e, "name")[0]} for e in ext(study, "outcomeMeasure")]  # fmt: skip
    assert [m["name"] for m in measures or []] == [o["measure"] for o in outcomes]
    goals = plan.get("goal", [])
    assert [g["description"]["text"] for g in goals] == [o["measure"] for o in outcomes]
    for goal, outcome in zip(goals, outcomes, strict=True):
        tf = outcome.get("timeFrame")
        if not tf:
            continue
        target = goal["target"][0]
        assert "detailCodeableConcept" not in target  # the target value, not a time frame
        assert target["extension"] == [{"url": "https://trialexport.org/fhir/StructureDefinition/time-frame",
                                        "valueString": tf}]
        number = re.search(r"\d+", tf)
        if "due" in target:
            assert target["due"]["system"] == "http://unitsofmeasure.org" and number
            assert str(target["due"]["value"]) in tf
    goal_ids = {g["id"] for g in goals}
    for action in plan.get("action", []):
        assert set(action.get("goalId", [])) <= goal_ids


def test_time_frames_parse_to_ucum_durations():
    from trialexport.formats.fhir.mapping.engine import Context
    from trialexport.formats.fhir.mapping.transforms import duration

    ctx = Context({}, version="r5", sid="x", study="X")
    expected = {
        "12 weeks": (12, "wk"),
        "Day 28": (28, "d"),
        "6 months": (6, "mo"),
        "up to 2 years": (2, "a"),
        "baseline": None,
        "Day 1 to Day 28": (28, "d"),
        "Baseline, Week 4, 1 year": (1, "a"),
        "24-hour urine": (24, "h"),
    }
    got = {text: duration(ctx, text) for text in expected}
    assert {k: (v["value"], v["code"]) if v else None for k, v in got.items()} == expected
