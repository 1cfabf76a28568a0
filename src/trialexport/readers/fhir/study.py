"""The study's own sections: identification, status and dates, design, conditions, description, oversight,
IPD statement, related artifacts."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialexport.formats.fhir.mapping import tables
from trialexport.mapkit import crosswalk

from .index import Index, ext_values, first, registry_value

CTGOV_SYSTEMS = ("clinicaltrials.gov",)  # identifier systems of NCT ids (http(s), with or without a slash)
RETRACTION, IPD = "RETRACTION", "IPD"  # classifier texts the writer gives (transforms/artifacts.py)
_PMID = re.compile(r"pubmed\.ncbi\.nlm\.nih\.gov/(\d+)")


def _is_ctgov(system: Any) -> bool:
    return isinstance(system, str) and system.rstrip("/").split("//")[-1] in CTGOV_SYSTEMS


def identification(study: dict[str, Any], idx: Index) -> dict[str, Any]:
    """``identification``: NCT id and aliases, the org study id (use ``usual``: the sponsor's own id) and its
    assigner (the registering organization), secondary ids, titles."""
    out: dict[str, Any] = {}
    secondary = []
    for ident in study.get("identifier", []):
        use, value = ident.get("use"), ident.get("value")
        if not value:
            continue
        if _is_ctgov(ident.get("system")) and use != "old" and "nct_id" not in out:
            out["nct_id"] = value
            continue
        if _is_ctgov(ident.get("system")):
            out.setdefault("nct_id_aliases", []).append(value)
            continue
        usual = use == "usual" and "org_study_id" not in out
        item: dict[str, Any] = {"id": value}
        if (ident.get("type") or {}).get("text"):
            item["type"] = ident["type"]["text"]
        for link in ext_values(ident, "identifier-link"):
            item["link"] = link
        org = idx.get(ident.get("assigner"))
        if usual or (org is not None and "org_study_id" not in out and use != "secondary"):
            out["org_study_id"] = item
            if org is not None:
                out["organization"] = organization(org)
            continue
        if (ident.get("assigner") or {}).get("display"):
            item["domain"] = ident["assigner"]["display"]
        secondary.append(item)
    if secondary:
        out["secondary_ids"] = secondary
    if study.get("title"):
        out["brief_title"] = study["title"]
    for label in study.get("label", []):
        kind = _label_kind(label.get("type"))
        if kind and label.get("value"):
            out[kind] = label["value"]
    return out


def _label_kind(concept: dict[str, Any] | None) -> str | None:
    codes = {c.get("code") for c in (concept or {}).get("coding", [])}
    return "official_title" if "official" in codes else "acronym" if "acronym" in codes else None


def organization(org: dict[str, Any]) -> dict[str, Any]:
    """A model Organization from an Organization resource (agency class = the type's text)."""
    out: dict[str, Any] = {"name": org.get("name")}
    kind = registry_value("agency_class", first(org.get("type")))
    if kind:
        out["agency_class"] = kind
    return out


@cache
def _date_codes() -> dict[str, str]:
    """registry-dates code -> model field (from codes.csv names ``date-<code>``)."""
    fields = {"first-submitted": "first_submitted_date", "first-submitted-qc": "first_submitted_qc_date",
              "first-posted": "first_posted_date", "results-first-submitted": "results_first_submitted_date",
              "results-first-submitted-qc": "results_first_submitted_qc_date",
              "results-first-posted": "results_first_posted_date", "last-update-submitted":
              "last_update_submitted_date", "last-update-posted": "last_update_posted_date",
              "status-verified": "status_verified_date", "primary-completion": "primary_completion_date"}  # fmt: skip
    return {tables.fixed(f"date-{code}", "r5")[1]: name for code, name in fields.items()}


_STRUCTS = {"first_posted_date", "results_first_posted_date", "last_update_posted_date", "primary_completion_date"}


def status(study: dict[str, Any]) -> dict[str, Any]:
    """``status``: overall and last known status, why stopped, and every date (progressStatus entries)."""
    out: dict[str, Any] = {}
    dates_system = tables.fixed("date-first-submitted", "r5")[0]
    for entry in study.get("progressStatus", []):
        state = entry.get("state") or {}
        period = entry.get("period") or {}
        codings = state.get("coding", [])
        code = next((c.get("code") for c in codings), None)
        if any(c.get("system") == dates_system for c in codings):
            name = _date_codes().get(code or "")
            date = period.get("end") or period.get("start")
            if name and date:
                out[name] = _date(date, entry) if name in _STRUCTS else date
        elif code == "overall-study":
            if period.get("start"):
                out["start_date"] = _date(period["start"], entry)
            if period.get("end"):
                out["completion_date"] = _date(period["end"], entry)
        elif entry.get("actual") is True and "overall_status" in out:
            out["last_known_status"] = registry_value("overall_status", state)
        elif "overall_status" not in out:
            out["overall_status"] = registry_value("overall_status", state)
    stopped = first(study.get("whyStopped")) or {}
    if stopped.get("text"):
        out["why_stopped"] = stopped["text"]
    return out


def _date(date: str, entry: dict[str, Any]) -> dict[str, Any]:
    out = {"date": date}
    if "actual" in entry:
        out["type"] = "ACTUAL" if entry["actual"] else "ESTIMATED"
    return out


@cache
def _design_rows() -> tuple[tuple[str, str, str], ...]:
    """``(model path, crosswalk or "", codes.csv name)`` of the studyDesign rows, in the writer's order."""
    out = []
    for row in tables.rows("r5"):
        if row.target.kind == "ResearchStudy" and row.target.path[0][0] == "studyDesign":
            out.append((row.sources[0].path.removesuffix("[]"), row.arg, row.codes))
    return tuple(out)


def design(study: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``design`` (phases, purpose, the studyDesign items, enrollment) and the sampling method."""
    out: dict[str, Any] = {}
    phases = registry_value("phase", first(study.get("phase")))
    if phases:
        out["phases"] = phases.split("|") if "|" in phases else phases.split(", ")
    purpose = registry_value("primary_purpose", first(study.get("primaryPurposeType")))
    if purpose:
        out["primary_purpose"] = purpose
    sampling = None
    items = list(study.get("studyDesign", []))
    for path, xwalk, flag in _design_rows():
        field = path.split(".")[-1]
        while items:
            text = items[0].get("text")
            if flag and not xwalk:
                if text != tables.fixed(flag, "r5")[2]:
                    break
                out[field] = True
            elif crosswalk.known(xwalk, text or ""):
                if path.endswith("who_masked"):
                    out.setdefault(field, []).append(text)
                elif path == "eligibility.sampling_method":
                    sampling = text
                else:
                    out[field] = text
            else:
                break
            items.pop(0)
            if not path.endswith("who_masked"):
                break
    recruitment = study.get("recruitment")
    for rec in recruitment if isinstance(recruitment, list) else [recruitment]:
        for key, kind in (("targetNumber", "ESTIMATED"), ("actualNumber", "ACTUAL")):
            if rec and isinstance(rec.get(key), int):
                out["enrollment_count"], out["enrollment_type"] = rec[key], kind
    return out, sampling


def conditions(study: dict[str, Any]) -> dict[str, Any]:
    """``conditions``: conditions, keywords, and the derived MeSH terms (codings and index-term extensions)."""
    mesh = tables.fixed("mesh", "r5")[0]
    out: dict[str, Any] = {}
    names, cmesh, imesh = [], [], []
    for cc in study.get("condition", []):
        if cc.get("text"):
            names.append(cc["text"])
        cmesh += [_term(c) for c in cc.get("coding", []) if c.get("system") == mesh]
    for focus in study.get("focus", []):
        cc = focus.get("concept") or {}
        imesh += [_term(c) for c in cc.get("coding", []) if c.get("system") == mesh]
    cmesh += [_term(c) for c in ext_values(study, "mesh-condition-term")]
    imesh += [_term(c) for c in ext_values(study, "mesh-intervention-term")]
    keywords = [k["text"] for k in study.get("keyword", []) if k.get("text")]
    for key, value in (("conditions", names), ("keywords", keywords), ("condition_mesh", _unique(cmesh)),
                       ("intervention_mesh", _unique(imesh))):  # fmt: skip
        if value:
            out[key] = value
    return out


def _term(coding: dict[str, Any]) -> dict[str, str]:
    return {"id": coding.get("code", ""), "term": coding.get("display", "")}


def _unique(terms: list[dict[str, str]]) -> list[dict[str, str]]:
    return list({t["id"]: t for t in terms}.values())


def snake(name: str) -> str:
    """``infoTypes`` -> ``info_types`` (extension part -> model field)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def statements(study: dict[str, Any]) -> dict[str, Any]:
    """Oversight flags, the IPD sharing statement, whether results exist (project extensions)."""
    out: dict[str, Any] = {}
    for parts in ext_values(study, "oversight"):
        out["oversight"] = {snake(k): v for k, v in parts.items()}
    for parts in ext_values(study, "ipd-sharing"):
        out["ipd_sharing"] = {snake(k): v for k, v in parts.items()}
    for value in ext_values(study, "has-results"):
        out["has_results"] = value
    return out


def artifacts(study: dict[str, Any]) -> dict[str, Any]:
    """References (with their retractions), see-also links, IPD files and registry documents."""
    out: dict[str, Any] = {"references": [], "see_also_links": [], "avail_ipds": []}
    docs = []
    for art in study.get("relatedArtifact", []):
        kind = art.get("type")
        url = (art.get("document") or {}).get("url")
        classifier = next((c.get("text") for c in art.get("classifier", []) if c.get("text")), None)
        pmid = _PMID.search(url or "")
        if kind == "citation" and classifier == RETRACTION and out["references"]:
            retraction = {"pmid": pmid.group(1)} if pmid else {}
            if art.get("citation"):
                retraction["source"] = art["citation"]
            out["references"][-1].setdefault("retractions", []).append(retraction)
        elif kind == "citation":
            ref: dict[str, Any] = {}
            if pmid:
                ref["pmid"] = pmid.group(1)
            if classifier:
                ref["type"] = classifier
            if art.get("citation"):
                ref["citation"] = art["citation"]
            out["references"].append(ref)
        elif kind == "documentation" and classifier == IPD:
            ipd = {k: art[f] for k, f in (("id", "label"), ("type", "display"), ("comment", "citation")) if art.get(f)}
            if url:
                ipd["url"] = url
            out["avail_ipds"].append(ipd)
        elif kind == "documentation" and (art.get("document") or {}).get("title"):
            docs.append(_large_doc(art, classifier))
        elif kind == "documentation" and url:
            out["see_also_links"].append({"label": art["display"], "url": url} if art.get("display") else {"url": url})
    out = {k: v for k, v in out.items() if v}
    if docs:
        out["extras"] = {"documentSection": {"largeDocumentModule": {"largeDocs": docs}}}
    return out


def _large_doc(art: dict[str, Any], abbrev: str | None) -> dict[str, Any]:
    att = art["document"]
    doc: dict[str, Any] = {}
    if abbrev:
        doc["typeAbbrev"] = abbrev
        parts = abbrev.split("_")
        doc.update(hasProtocol="Prot" in parts, hasSap="SAP" in parts, hasIcf="ICF" in parts)
    if art.get("display"):
        doc["label"] = art["display"]
    if att.get("creation"):
        doc["date"] = att["creation"]
    doc["filename"] = att["title"]
    if att.get("size") is not None:
        doc["size"] = int(att["size"])
    return doc
