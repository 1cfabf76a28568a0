"""Issue 12 on real corpus records: expected FHIR fragments written by hand from the registry record (quoted in each
test) and the FHIR specification (R5 core code systems, the HL7 cross-version extensions), not from mappings/."""

from __future__ import annotations

import pytest

from trialexport.formats.fhir.bundle import map_bundle

RS_STATUS = "http://hl7.org/fhir/research-study-status"
PARTY_ROLE = "http://hl7.org/fhir/research-study-party-role"
XVER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ResearchStudy."
OURS = "https://trialexport.org/fhir/StructureDefinition/"
MESH = "https://www.nlm.nih.gov/mesh"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"


def bundle(all_trials, nct: str, version: str) -> dict:
    return map_bundle(all_trials[nct], version)[0]


def resources(b: dict, rtype: str) -> list[dict]:
    return [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == rtype]


def resolve(b: dict, ref: dict) -> dict:
    return next(e["resource"] for e in b["entry"] if e["fullUrl"] == ref["reference"])


def xver(study: dict, element: str) -> list[dict]:
    """The R4 cross-version extensions for an R5 element, as {part: value}."""
    out = []
    for ext in study.get("extension", []):
        if ext["url"] == XVER + element:
            parts = {sub["url"]: next(v for k, v in sub.items() if k.startswith("value")) for sub in ext["extension"]}
            out.append(parts)
    return out


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_1_site_status_on_the_site_reference_not_location_status(all_trials, version):
    # NCT03067181 locations[0]: Children's Hospital of Alabama, status SUSPENDED, Birmingham, United States
    b = bundle(all_trials, "NCT03067181", version)
    study = b["entry"][0]["resource"]
    site = study["site"][0]
    assert site["extension"] == [{"url": OURS + "site-recruitment-status", "valueCodeableConcept": {
        "coding": [{"system": RS_STATUS, "code": "temporarily-closed-to-accrual"}], "text": "SUSPENDED"}}]
    location = resolve(b, site)
    assert location["name"] == "Children's Hospital of Alabama" and "status" not in location
    assert all("status" not in loc for loc in resources(b, "Location"))


def test_2_r4_progress_state_is_the_r5_code(all_trials):
    # NCT00184067 overallStatus TERMINATED: R5 research-study-status 'terminated' (R4: administratively-completed)
    study = bundle(all_trials, "NCT00184067", "r4")["entry"][0]["resource"]
    assert study["status"] == "administratively-completed"
    state = xver(study, "progressStatus")[0]["state"]
    assert state == {"coding": [{"system": RS_STATUS, "code": "terminated"}], "text": "TERMINATED"}


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_3_derived_mesh_terms_are_codings_or_index_terms(all_trials, version):
    # NCT04523987: condition 'Metastatic Pancreatic Ductal Adenocarcinoma', derived MeSH D000000230 Adenocarcinoma;
    # intervention 'Ciprofloxacin', derived MeSH D000002939 Ciprofloxacin
    study = bundle(all_trials, "NCT04523987", version)["entry"][0]["resource"]
    assert study["condition"] == [{"text": "Metastatic Pancreatic Ductal Adenocarcinoma"}]
    terms = [e for e in study["extension"] if e["url"] == OURS + "mesh-condition-term"]
    assert terms == [{"url": OURS + "mesh-condition-term",
                      "valueCoding": {"system": MESH, "code": "D000230", "display": "Adenocarcinoma"}}]
    focus = [f["concept"] if version == "r5" else f for f in study["focus"]]
    cipro = next(f for f in focus if f["text"] == "Ciprofloxacin")
    assert {"system": MESH, "code": "D002939", "display": "Ciprofloxacin"} in cipro["coding"]
    assert not [f for f in focus if f["text"] in ("Adenocarcinoma",)]


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_4_7_people_site_investigators_and_one_practitioner(all_trials, version):
    # NCT03281889: responsible party PRINCIPAL_INVESTIGATOR 'Shannon MacDonald, MD', title 'Principal Investigator',
    # affiliation 'Massachusetts General Hospital'; overall official the same person (PRINCIPAL_INVESTIGATOR);
    # locations[0] contacts: Shannon MacDonald, MD (CONTACT, 617-643-7250) and (PRINCIPAL_INVESTIGATOR)
    b = bundle(all_trials, "NCT03281889", version)
    study = b["entry"][0]["resource"]
    parties = study["associatedParty"] if version == "r5" else xver(study, "associatedParty")
    pis = [p for p in parties if {"system": PARTY_ROLE, "code": "primary-investigator"} in p["role"].get("coding", [])]
    official = next(p for p in pis if resolve(b, p["party"])["id"] == "nct03281889-official-1")
    responsible = next(p for p in parties if p["role"]["text"] == "Responsible party")
    assert responsible["name"] == "Shannon MacDonald, MD"
    classifier = responsible["classifier"][0] if version == "r5" else responsible["classifier"]  # one part in R4
    assert classifier["coding"] == [{"system": PARTY_ROLE, "code": "primary-investigator"}]
    role = resolve(b, responsible["party"])
    assert role["organization"] == {"display": "Massachusetts General Hospital"}
    assert role["code"] == [{"text": "Principal Investigator"}]
    assert role["practitioner"]["reference"] == resolve(b, official["party"])["practitioner"]["reference"]
    # one person, one Practitioner for the official and the responsible party (the central contact with her telecom
    # is the registry's contact entry); no name packed with an affiliation
    named = [p["name"] for p in resources(b, "Practitioner") if "telecom" not in p]
    assert named == [[{"text": "Shannon MacDonald, MD"}]]
    assert "contact" not in resources(b, "Location")[0]
    site_roles = [r for r in resources(b, "PractitionerRole") if r.get("location")]
    assert [(r["practitioner"]["display"], r["code"][0]["text"]) for r in site_roles[:2]] == [
        ("Shannon MacDonald, MD", "CONTACT"), ("Shannon MacDonald, MD", "PRINCIPAL_INVESTIGATOR")]
    phone = {"system": "phone", "value": "617-643-7250"}
    assert phone in (site_roles[0]["contact"][0]["telecom"] if version == "r5" else site_roles[0]["telecom"])


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_5_time_frame_is_not_the_target_value(all_trials, version):
    # NCT05932303 primaryOutcomes[0]: 'Maximum observed plasma concentration (Cmax)', timeFrame 'Up to 33 days'
    (plan,) = resources(bundle(all_trials, "NCT05932303", version), "PlanDefinition")
    target = plan["goal"][0]["target"][0]
    assert target == {"extension": [{"url": OURS + "time-frame", "valueString": "Up to 33 days"}],
                      "due": {"value": 33, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}}


def test_6_unknown_status_says_what_is_known(all_trials):
    # NCT02960672: overallStatus UNKNOWN, lastKnownStatus ACTIVE_NOT_RECRUITING, statusVerifiedDate 2016-11
    r5 = bundle(all_trials, "NCT02960672", "r5")["entry"][0]["resource"]
    assert r5["progressStatus"][0] == {"state": {"text": "UNKNOWN"}}
    assert r5["progressStatus"][1] == {"state": {"coding": [{"system": RS_STATUS, "code": "active-but-not-recruiting"}],
                                                 "text": "ACTIVE_NOT_RECRUITING"}, "actual": True,
                                       "period": {"end": "2016-11"}}
    r4 = bundle(all_trials, "NCT02960672", "r4")["entry"][0]["resource"]
    assert "status" not in r4
    assert r4["_status"] == {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                            "valueCode": "unknown"}]}


def test_9_10_r4_party_role_system_and_markdown_description(all_trials):
    # NCT05932303 overallOfficials: Bristol-Myers Squibb, STUDY_DIRECTOR -> R5 research-study-party-role study-director
    study = bundle(all_trials, "NCT05932303", "r4")["entry"][0]["resource"]
    roles = [p["role"] for p in xver(study, "associatedParty")]
    assert {"coding": [{"system": PARTY_ROLE, "code": "study-director"}], "text": "STUDY_DIRECTOR"} in roles
    # NCT02960672 primary outcome description -> the cross-version outcomeMeasure.description is markdown
    study = bundle(all_trials, "NCT02960672", "r4")["entry"][0]["resource"]
    outcome = next(e for e in study["extension"] if e["url"] == XVER + "outcomeMeasure")
    assert [list(sub)[1] for sub in outcome["extension"]] == ["valueString", "valueCodeableConcept", "valueMarkdown"]


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_12_13_countries_healthy_volunteers_mesh_ids(all_trials, version):
    # NCT00763412: site in St. Louis, United States; healthyVolunteers true?; derived MeSH D000003920 Diabetes Mellitus
    b = bundle(all_trials, "NCT00763412", version)
    study = b["entry"][0]["resource"]
    regions = study["region" if version == "r5" else "location"]
    assert regions == [{"coding": [{"system": "urn:iso:std:iso:3166", "code": "US"}], "text": "United States"}]
    assert resources(b, "Location")[0]["address"]["country"] == "US"
    (group,) = resources(b, "Group")
    healthy = [c for c in group["characteristic"] if c["code"].get("coding", [{}])[0].get("code") == "C98737"]
    assert healthy and healthy[0]["code"]["coding"][0]["system"] == NCIT
    assert "D003920" in str(study) and "D000003920" not in str(study)


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_15_16_registry_dates_and_lost_data(all_trials, version):
    # NCT03064438: studyFirstSubmitDate 2017-02-22, resultsFirstPostDateStruct 2021-08-23 ACTUAL,
    # lastUpdatePostDateStruct 2021-08-23; largeDocs Prot_000.pdf (Study Protocol, 2017-08-05, 642802 bytes)
    study = bundle(all_trials, "NCT03064438", version)["entry"][0]["resource"]
    states = study["progressStatus"] if version == "r5" else xver(study, "progressStatus")
    dates = {s["state"]["coding"][0]["code"]: s for s in states if "coding" in s["state"]}
    assert dates["first-submitted"]["period"] == {"start": "2017-02-22"}
    assert dates["results-first-posted"]["period"] == {"start": "2021-08-23"}
    assert dates["results-first-posted"]["actual"] is True
    if version == "r5":
        assert study["date"] == "2021-08-23"
    links = study["relatedArtifact"]
    assert {"type": "derived-from", "display": "ClinicalTrials.gov record",
            "document": {"url": "https://clinicaltrials.gov/study/NCT03064438"}} in links
    protocol = next(a for a in links if a.get("display") == "Study Protocol")
    assert protocol["document"]["url"] == "https://cdn.clinicaltrials.gov/large-docs/38/NCT03064438/Prot_000.pdf"
    assert protocol["document"]["creation"] == "2017-08-05"
    assert protocol["document"]["size"] == ("642802" if version == "r5" else 642802)  # integer64 / unsignedInt


def test_16_dmc_and_ipd(all_trials):
    # NCT00763412: oversightHasDmc true; ipdSharing UNDECIDED with a description
    study = bundle(all_trials, "NCT00763412", "r5")["entry"][0]["resource"]
    dmc = [p for p in study["associatedParty"] if p["role"].get("coding", [{}])[0].get("code") == "data-monitoring"]
    assert dmc and dmc[0]["role"]["coding"][0]["system"] == "http://terminology.hl7.org/CodeSystem/research-study-party-role"
    ipd = next(e for e in study["extension"] if e["url"] == OURS + "ipd-sharing")
    assert ipd["extension"][0] == {"url": "ipdSharing", "valueCode": "UNDECIDED"}


def test_17_18_design_codes_nci_and_exposure(all_trials):
    # NCT06252142: observationalModel CASE_CONTROL -> R5 study-design SEVCO:01013 Case control design (+ NCIt C15197)
    study = bundle(all_trials, "NCT06252142", "r5")["entry"][0]["resource"]
    case_control = next(d for d in study["studyDesign"] if d["text"] == "CASE_CONTROL")
    assert case_control["coding"] == [{"system": "http://hl7.org/fhir/study-design", "code": "SEVCO:01013"},
                                      {"system": NCIT, "code": "C15197"}]
    # NCT04523987: one arm whose interventions include Ciprofloxacin
    study = bundle(all_trials, "NCT04523987", "r5")["entry"][0]["resource"]
    assert {"display": "Ciprofloxacin"} in study["comparisonGroup"][0]["intendedExposure"]


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_20_same_sponsor_same_organization_across_studies(all_trials, version):
    # leadSponsor AstraZeneca in NCT05952557 and NCT06742723; Tata Memorial Centre in NCT06036394 and NCT06631443
    for a, b, name in (("NCT05952557", "NCT06742723", "AstraZeneca"),
                       ("NCT06036394", "NCT06631443", "Tata Memorial Centre")):
        ids = []
        for nct in (a, b):
            orgs = [o for o in resources(bundle(all_trials, nct, version), "Organization") if o["name"] == name]
            assert len(orgs) == 1
            ids.append(orgs[0]["id"])
        assert ids[0] == ids[1] and ids[0].startswith("organization-")
    tx = map_bundle(all_trials["NCT05952557"], version, "transaction")[0]
    urls = [e["request"]["url"] for e in tx["entry"]]
    assert len(urls) == len(set(urls))  # shared Locations appear once


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_matrix_findings_n2_n3_n6(all_trials, version):
    # N2 NCT06201611: maximumAge '18 Years', no minimum -> an age characteristic with valueRange.high only
    (group,) = resources(bundle(all_trials, "NCT06201611", version), "Group")
    (age,) = [c for c in group["characteristic"] if c["code"].get("coding", [{}])[0].get("code") == "30525-0"]
    assert age["valueRange"] == {"high": {"value": 18, "unit": "years", "system": "http://unitsofmeasure.org",
                                          "code": "a"}}
    # N3 NCT03064438: time frame 'Baseline; Weeks 2, 4, 8, and 12' is due at week 12, not week 2
    (plan,) = resources(bundle(all_trials, "NCT03064438", version), "PlanDefinition")
    dues = {t["extension"][0]["valueString"]: (t["due"]["value"], t["due"]["code"])
            for g in plan["goal"] for t in g.get("target", []) if "due" in t}
    assert dues["Baseline; Weeks 2, 4, 8, and 12"] == (12, "wk")
    # N6 NCT02960672 (R4): no overall official; the responsible party 'Ying Jiang' is the principal investigator
    if version == "r4":
        b = bundle(all_trials, "NCT02960672", "r4")
        study = b["entry"][0]["resource"]
        role = resolve(b, study["principalInvestigator"])
        assert resolve(b, role["practitioner"])["name"] == [{"text": "Ying Jiang"}]
