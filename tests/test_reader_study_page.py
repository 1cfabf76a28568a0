"""The study-page text reader: the seed page, two synthetic pages and odd input."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialexport.diagnostics import Diagnostic
from trialexport.model import Trial
from trialexport.readers.build import finalize
from trialexport.readers.study_page import BOILERPLATE, is_study_page, parse_study_page

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "fixtures" / "NCT04318600.txt"
PAGES = ROOT / "tests" / "data" / "study-pages"


def read(path: Path) -> tuple[Trial, list[Diagnostic]]:
    data, diags = parse_study_page(path.read_text(encoding="utf-8"))
    trial, more = finalize(data, strict=False)
    assert trial is not None, [d.format_text() for d in diags + more]
    return trial, diags + more


def dumped(trial: Trial) -> str:
    return json.dumps(trial.model_dump(mode="json"), ensure_ascii=False)


def assert_no_boilerplate(trial: Trial) -> None:
    text = dumped(trial)
    for sentence in BOILERPLATE:
        assert sentence[:30] not in text
    for fragment in ("Get a concise snapshot", "Review the sponsor-provided synopsis", "Check back later"):
        assert fragment not in text


@pytest.fixture(scope="module")
def seed() -> tuple[Trial, list[Diagnostic]]:
    return read(SEED)


def test_seed_is_a_study_page() -> None:
    assert is_study_page(SEED.read_text(encoding="utf-8"))
    assert not is_study_page('{"protocolSection": {}}')
    assert not is_study_page("")


def test_seed_identification_and_status(seed: tuple[Trial, list[Diagnostic]]) -> None:
    trial, _ = seed
    ident, status = trial.identification, trial.status
    assert ident.nct_id == "NCT04318600"
    assert ident.brief_title == "Allogeneic Amniotic Mesenchymal Stem Cell Therapy for Lupus Nephritis"
    assert ident.org_study_id is not None and ident.org_study_id.id == "2014001"
    assert ident.org_study_id.type is None  # "Identifier Type: -"
    assert ident.secondary_ids == []
    assert status.overall_status == "COMPLETED"
    assert status.start_date is not None and status.start_date.date == "2014-01-01"
    assert status.start_date.type is None  # the page does not say ACTUAL or ESTIMATED
    assert status.completion_date is not None and status.completion_date.date == "2019-01-01"
    assert status.last_update_posted_date is not None and status.last_update_posted_date.date == "2020-03-24"


def test_seed_design(seed: tuple[Trial, list[Diagnostic]]) -> None:
    design = seed[0].design
    assert design.phases == ["PHASE1"]
    assert design.enrollment_count == 16
    assert design.enrollment_type is None
    assert design.study_type == "INTERVENTIONAL"
    assert design.allocation == "NON_RANDOMIZED"
    assert design.intervention_model == "PARALLEL"
    assert design.primary_purpose == "TREATMENT"
    assert design.masking == "SINGLE"
    assert design.who_masked == ["PARTICIPANT"]


def test_seed_description_and_conditions(seed: tuple[Trial, list[Diagnostic]]) -> None:
    trial, diags = seed
    assert trial.description.brief_summary is not None
    assert trial.description.brief_summary.startswith("This study would further evaluate")
    assert trial.description.detailed_description is not None
    assert trial.description.detailed_description.startswith("Eleven patients")
    # the page lost the separator between "Lupus Nephritis" and "Mesenchymal Stem Cells": kept as is, warned
    assert trial.conditions.conditions == ["Lupus Nephritis Mesenchymal Stem Cells"]
    assert any(d.severity == "warning" and d.path == "Conditions" for d in diags)


def test_seed_arms_and_interventions(seed: tuple[Trial, list[Diagnostic]]) -> None:
    trial, _ = seed
    assert len(trial.arms) == 2
    treated, control = trial.arms
    assert treated.label == "human amniotic mesenchymal stem cell treatment group"
    assert treated.type == "EXPERIMENTAL"
    assert treated.intervention_names == ["Drug: human amniotic mesenchymal stem cell"]
    assert control.label == "blank control group"
    assert control.type == "NO_INTERVENTION"
    assert control.intervention_names == []
    assert len(trial.interventions) == 1
    drug = trial.interventions[0]
    assert (drug.type, drug.name) == ("DRUG", "human amniotic mesenchymal stem cell")
    assert drug.description is not None and drug.description.startswith("human amniotic mesenchymal stem cell (hA-MSC)")
    assert drug.arm_group_labels == [treated.label]


def test_seed_eligibility(seed: tuple[Trial, list[Diagnostic]]) -> None:
    elig = seed[0].eligibility
    assert elig.criteria_text is not None
    assert elig.criteria_text.startswith("Exclusion Criteria\n")
    assert elig.criteria_text.count("\n* ") == 13  # verbatim: 13 bullets
    assert "Minimum Eligible Age" not in elig.criteria_text
    kinds = [c.kind for c in elig.criteria]
    assert kinds.count("exclusion") == 14  # the run-on "...; 8. Patients with blood-borne ..." is split
    assert kinds.count("inclusion") == 0
    assert elig.criteria[6].text == "Patients with tumors or abnormal tumor marker levels;"
    assert elig.criteria[7].text.startswith("Patients with blood-borne diseases")
    assert elig.minimum_age is not None and (elig.minimum_age.value, elig.minimum_age.unit) == (14, "years")
    assert elig.maximum_age is not None and (elig.maximum_age.value, elig.maximum_age.unit) == (60, "years")
    assert elig.sex == "ALL"
    assert elig.healthy_volunteers is False


def test_seed_sponsors_and_references(seed: tuple[Trial, list[Diagnostic]]) -> None:
    trial, _ = seed
    sponsors = trial.sponsors
    assert sponsors.lead_sponsor is not None
    assert sponsors.lead_sponsor.name == "Yan'an Affiliated Hospital of Kunming Medical University"
    assert sponsors.lead_sponsor.agency_class == "OTHER"
    assert [c.name for c in sponsors.collaborators] == ["The First People's Hospital of Yunnan"]
    assert sponsors.responsible_party is not None and sponsors.responsible_party.type == "SPONSOR"
    assert len(trial.references) == 1
    ref = trial.references[0]
    assert (ref.pmid, ref.type) == ("35412950", "DERIVED")
    assert ref.citation is not None and ref.citation.startswith("Naeem A, Gupta N")
    assert "View on PubMed" not in ref.citation


def test_seed_extras_and_no_leaks(seed: tuple[Trial, list[Diagnostic]]) -> None:
    trial, diags = seed
    assert trial.extras == {"page.study_results": "Results pending"}
    assert trial.has_results is False
    assert_no_boilerplate(trial)
    text = dumped(trial)
    assert "NCT05969522" not in text and "Stratified Therapy" not in text  # related trials are other studies
    assert any(d.severity == "info" and d.path == "More Related Trials" for d in diags)
    assert not any(d.is_error for d in diags)
    assert all(d.code in ("READ-PAGE", "READ-CRITERIA") for d in diags)


def test_observational_page() -> None:
    path = PAGES / "synthetic-observational.txt"
    assert is_study_page(path.read_text(encoding="utf-8"))
    trial, diags = read(path)
    assert trial.identification.nct_id == "NCT09000001"
    assert trial.identification.org_study_id is not None and trial.identification.org_study_id.id == "LN-BIO-2023"
    assert [(s.id, s.type) for s in trial.identification.secondary_ids] == [("R01DK999999", "NIH")]
    assert trial.design.study_type == "OBSERVATIONAL"
    assert trial.design.phases == []  # no "Clinical Phase" field on the page
    assert (trial.design.observational_model, trial.design.time_perspective) == ("COHORT", "PROSPECTIVE")
    assert trial.status.start_date is not None and trial.status.start_date.date == "2023-03"
    assert trial.conditions.conditions == ["Lupus Nephritis", "Systemic Lupus Erythematosus", "Chronic Kidney Disease"]
    assert not any(d.path == "Conditions" for d in diags)  # one per line: nothing ambiguous
    assert trial.description.brief_summary is not None and "\n\nHealthy volunteers" in trial.description.brief_summary
    assert trial.description.detailed_description is None  # section missing
    # cohorts without "Group Type": told apart by line shape, with a warning
    assert [(a.label, a.type) for a in trial.arms] == [("Lupus nephritis cohort", None), ("Healthy controls", None)]
    assert trial.arms[1].description == "Age- and sex-matched volunteers without kidney disease."
    assert any(d.path == "Study Groups" and "Group Type" in d.message for d in diags)
    assert len(trial.interventions) == 1
    assert trial.interventions[0].type == "DIAGNOSTIC_TEST"
    assert trial.interventions[0].arm_group_labels == ["Lupus nephritis cohort", "Healthy controls"]
    assert trial.arms[0].intervention_names == ["Diagnostic Test: Urine biomarker panel"]
    elig = trial.eligibility
    assert [c.kind for c in elig.criteria] == ["inclusion"] * 3 + ["exclusion"] * 3
    assert "\n* a positive urine culture, or" in elig.criteria[4].text  # sub-bullets stay with their parent
    assert elig.minimum_age is not None and elig.minimum_age.value == 18
    assert elig.maximum_age is None  # "N/A"
    assert elig.healthy_volunteers is True
    assert elig.sampling_method == "NON_PROBABILITY_SAMPLE"
    assert elig.study_population is not None and elig.study_population.startswith("Adults attending")
    assert trial.sponsors.responsible_party is not None
    assert trial.sponsors.responsible_party.type == "PRINCIPAL_INVESTIGATOR"
    assert trial.references == []
    # an unknown section is kept in extras, with a warning; related trials are not
    assert trial.extras["page.contacts_and_locations"].startswith("Example University Hospital")
    assert any(d.path == "Contacts and Locations" and d.severity == "warning" for d in diags)
    text = dumped(trial)
    assert "NCT09000101" not in text and "Hydroxychloroquine" not in text
    assert "Find the sites" not in text
    assert_no_boilerplate(trial)


def test_phase2_3_page() -> None:
    trial, diags = read(PAGES / "synthetic-phase2-3.txt")
    assert not [d for d in diags if d.severity != "info"], [d.format_text() for d in diags]
    design = trial.design
    assert design.phases == ["PHASE2", "PHASE3"]
    assert (design.enrollment_count, design.enrollment_type) == (1200, "ESTIMATED")
    assert design.masking == "QUADRUPLE"
    assert design.who_masked == ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]
    assert trial.status.overall_status == "ACTIVE_NOT_RECRUITING"
    assert trial.status.primary_completion_date is not None
    assert trial.status.primary_completion_date.date == "2025-12"
    assert trial.status.last_update_posted_date is not None
    assert trial.status.last_update_posted_date.date == "2024-02-29"
    assert trial.conditions.conditions == ["Hypertension"]
    assert [(a.label, a.type) for a in trial.arms] == [
        ("Drug X low dose", "EXPERIMENTAL"),
        ("Drug X high dose", "EXPERIMENTAL"),
        ("Placebo", "PLACEBO_COMPARATOR"),
    ]
    assert trial.arms[0].description == "Drug X 10 mg once daily for 52 weeks."
    assert trial.arms[1].intervention_names == ["Drug: Drug X", "Behavioral: Dietary counselling"]
    by_name = {i.name: i for i in trial.interventions}
    assert list(by_name) == ["Drug X", "Placebo", "Dietary counselling"]
    assert by_name["Drug X"].arm_group_labels == ["Drug X low dose", "Drug X high dose"]
    assert by_name["Drug X"].other_names == ["DX-101", "Examplesartan"]
    assert by_name["Drug X"].description == "Oral tablet taken once daily."
    assert by_name["Dietary counselling"].type == "BEHAVIORAL"
    assert by_name["Dietary counselling"].arm_group_labels == ["Drug X high dose", "Placebo"]
    assert [c.kind for c in trial.eligibility.criteria] == ["inclusion"] * 2 + ["exclusion"] * 3
    assert trial.eligibility.maximum_age is not None and trial.eligibility.maximum_age.value == 75
    sponsors = trial.sponsors
    assert sponsors.lead_sponsor is not None and sponsors.lead_sponsor.agency_class == "INDUSTRY"
    assert [(c.name, c.agency_class) for c in sponsors.collaborators] == [
        ("National Heart, Lung, and Blood Institute (NHLBI)", "NIH"),
        ("Example Clinical Research Network", "NETWORK"),
    ]
    assert [(r.type, r.pmid) for r in trial.references] == [
        ("BACKGROUND", "10000001"),
        ("BACKGROUND", None),
        ("RESULT", "10000003"),
    ]
    assert trial.references[1].citation is not None and trial.references[1].citation.startswith("Roe R, Doe J.")
    assert [(s.id, s.type) for s in trial.identification.secondary_ids] == [("2020-001234-56", "EUDRACT_NUMBER")]
    assert trial.has_results is None and trial.extras == {}
    assert_no_boilerplate(trial)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n\t\n",
        "random words, nothing else",
        "lorem ipsum\ndolor sit amet\n\nconsectetur\n" * 50,
        "Basic Information\n\nRecruitment Status\n\nCOMPLETED\n",
        "\x00\x01\ufeff\u2028 binary-ish \r\n NCT ID: \r",
        "Title\n\nNCT ID: not-an-id\n\nLast Updated: sometime\n\nStudy Groups\n\nGroup Type EXPERIMENTAL\n",
    ],
)
def test_garbage_gives_diagnostics(text: str) -> None:
    data, diags = parse_study_page(text)
    assert isinstance(data, dict)
    assert diags, "odd input must be reported"
    assert all(d.code == "READ-PAGE" for d in diags)
    finalize(data, strict=False)  # must not raise either


def test_no_nct_id_is_an_error() -> None:
    text = SEED.read_text(encoding="utf-8").replace("NCT ID: NCT04318600", "")
    data, diags = parse_study_page(text)
    assert any(d.is_error and d.path == "NCT ID" for d in diags)
    assert data["design"]["phases"] == ["PHASE1"]  # the rest is still read


def test_unparseable_values_go_to_extras() -> None:
    text = (
        SEED.read_text(encoding="utf-8")
        .replace("16 participants", "about sixteen")
        .replace("2014-01-01", "early 2014")
        .replace("Eligible Sex\n\nALL", "Eligible Sex\n\nALL\n\nFavourite Colour\n\nblue")
    )
    trial, diags = read_text(text)
    assert trial.design.enrollment_count is None and trial.status.start_date is None
    assert trial.extras["page.basic_information.total_enrollment"] == "about sixteen"
    assert trial.extras["page.basic_information.study_start_date"] == "early 2014"
    assert trial.extras["page.eligibility_criteria.favourite_colour"] == "blue"
    assert {d.path for d in diags if d.severity == "warning"} >= {"Basic Information", "Eligibility Criteria"}


def read_text(text: str) -> tuple[Trial, list[Diagnostic]]:
    data, diags = parse_study_page(text)
    trial, more = finalize(data, strict=False)
    assert trial is not None
    return trial, diags + more


def test_mutilated_seed_never_raises() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    rng = random.Random(4318600)
    for _ in range(200):
        kept = [ln for ln in lines if rng.random() > 0.3]
        if rng.random() < 0.5:
            rng.shuffle(kept)
        data, diags = parse_study_page("\n".join(kept))
        trial, _ = finalize(data, strict=False)
        assert all(isinstance(d, Diagnostic) for d in diags)
        if trial is not None:
            assert_no_boilerplate(trial)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_never_raises(text: str) -> None:
    data, diags = parse_study_page(text)
    assert isinstance(data, dict) and diags
    finalize(data, strict=False)
