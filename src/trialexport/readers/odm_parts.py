"""The parts of an ODM study document read back into the model: the study names, the Trial Summary, the EDC items
(criteria, arms) and the ODM 2.0 protocol elements (indications, interventions, endpoints, population).

Texts the writer joined into lines (``Type: DRUG``, ``Time frame: 12 weeks``, ``Sex: ALL``) are split again by the
same labels; see ``mappings/odm/protocol.csv``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from lxml import etree

from trialexport.cdisc.terminology import reference
from trialexport.cdisc.ts_read import parse_duration, read_ts
from trialexport.diagnostics import Diagnostic
from trialexport.mapkit.tables import load_table

from .odm_admin import read_admin, unique_name_parts_removed


class Doc:
    """An ODM document and its namespace: ``find`` / ``all`` take paths with the prefix ``o``."""

    def __init__(self, root: etree._Element, version: str) -> None:
        self.root = root
        self.version = version
        self.ns = {"o": root.tag.partition("}")[0].lstrip("{")}

    def all(self, path: str, node: etree._Element | None = None) -> list[Any]:
        return list((node if node is not None else self.root).xpath(path, namespaces=self.ns))

    def first(self, path: str, node: etree._Element | None = None) -> Any:
        found = self.all(path, node)
        return found[0] if found else None

    def text(self, node: etree._Element | None, child: str = "o:Description") -> str | None:
        """The TranslatedText of a child (Description, Question, Decode), or ``None``."""
        if node is None:
            return None
        found = self.all(f"{child}/o:TranslatedText/text()", node)
        return str(found[0]) if found else None


def _systems() -> dict[str, str]:
    return {reference(n).system: reference(n).name for n in ("cdisc", "mesh", "ctgov")}


@cache
def _registry_coded() -> frozenset[str]:
    """Parameters whose value is coded in the registry's own system (REGID: the NCT number is its code)."""
    return frozenset(r["tsparmcd"].rstrip("?") for r in load_table("cdisc", "ts-parameters.csv")
                     if r["reference"] == "ctgov")


def ts_records(doc: Doc) -> list[dict[str, str]]:
    """The TS records as SDTM TS variables (plus REGVAL, the registry value kept beside a CDISC term)."""
    out = []
    if doc.version == "2.0":
        nullflavor, ctgov = reference("nullflavor").system, reference("ctgov").system
        for sp in doc.all("//o:StudySummary/o:StudyParameter"):
            pv = doc.first("o:ParameterValue", sp)
            rec = {"TSPARMCD": sp.get("ShortName", ""), "TSPARM": sp.get("Term", ""), "TSVAL": pv.get("Value", "")}
            group = sp.get("OID", "").rpartition(".")[2]
            if not group.isdigit():
                rec["TSGRPID"] = group
            for c in doc.all("o:Coding", pv):
                system, code = c.get("System"), c.get("Code", "")
                if system == nullflavor:
                    rec["TSVALNF"] = code
                elif system == ctgov and rec["TSPARMCD"] not in _registry_coded():
                    rec["REGVAL"] = code  # the registry value kept beside the CDISC term
                else:
                    rec["TSVALCD"], rec["TSVCDREF"] = code, _systems().get(system, "")
            out.append(rec)
        return out
    names = {d.get("OID"): d.get("Name") for d in doc.all("//o:ItemDef")}
    for group in doc.all("//o:ReferenceData/o:ItemGroupData"):
        out.append({names.get(d.get("ItemOID"), ""): d.get("Value", "") for d in doc.all("o:ItemData", group)})
    return out


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    if value in (None, "", [], {}):
        return
    node = data
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


def _study(doc: Doc, data: dict[str, Any]) -> None:
    """StudyName / description / ProtocolName / Protocol Description (the writer's fallbacks are not read back)."""
    ident = data.setdefault("identification", {})
    if doc.version == "2.0":
        study = doc.first("//o:Study")
        name, desc, protocol = study.get("StudyName"), doc.text(study), study.get("ProtocolName")
    else:
        name = doc.first("//o:GlobalVariables/o:StudyName/text()")
        desc = doc.first("//o:GlobalVariables/o:StudyDescription/text()")
        protocol = doc.first("//o:GlobalVariables/o:ProtocolName/text()")
    summary = doc.text(doc.first("//o:MetaDataVersion[1]/o:Protocol"))
    ids = {ident.get("nct_id"), (ident.get("org_study_id") or {}).get("id")}
    if name and name not in ids:  # else StudyName was the registry id standing in for an acronym
        ident["acronym"] = str(name)
    if desc and desc not in (summary, name):  # else StudyDescription was a fallback
        ident["brief_title"] = str(desc)
    if protocol and "org_study_id" not in ident and "nct_id" not in ident and protocol != name:
        ident["org_study_id"] = {"id": str(protocol)}  # a document without TS: the protocol name is the sponsor's id
    _set(data, "description.brief_summary", summary)
    as_of = doc.root.get("AsOfDateTime")
    if as_of:  # the registry record's last update
        _set(data, "status.last_update_posted_date", {"date": as_of[:10]})


def _criteria(doc: Doc, data: dict[str, Any]) -> None:
    """One criterion per eligibility item (text: Question; kind: its IECAT alias; group: its Description)."""
    criteria = []
    for item in doc.all("//o:ItemDef[o:Alias[@Context='CDISC:IECAT']]"):
        category = doc.first("o:Alias[@Context='CDISC:IECAT']/@Name", item)
        crit: dict[str, Any] = {"kind": str(category).lower(), "text": doc.text(item, "o:Question") or ""}
        if doc.text(item):
            crit["group"] = doc.text(item)
        criteria.append(crit)
    if criteria:
        data.setdefault("eligibility", {})["criteria"] = criteria


def _arms(doc: Doc, data: dict[str, Any]) -> None:
    """Arms: label and registry type from the arm code list; 2.0 StudyStructure adds the description."""
    items = doc.all("//o:CodeList[@OID='CL.ARM']/o:CodeListItem")
    arms = []
    for item in items:
        arm: dict[str, Any] = {"label": doc.text(item, "o:Decode") or ""}
        kind = doc.first("o:Alias[@Context='ClinicalTrials.gov']/@Name", item)
        if kind:
            arm["type"] = str(kind)
        description = doc.text(doc.first(f"//o:StudyStructure/o:Arm[@OID='ARM.{item.get('CodedValue')}']"))
        if description:
            arm["description"] = description
        arms.append(arm)
    if arms:
        data["arms"] = arms


def _lines(text: str | None, labels: dict[str, str], many: tuple[str, ...] = ()) -> tuple[list[str], dict[str, Any]]:
    """Split description lines: ``{key: value}`` of the labelled lines (a list for the ``many`` keys, one line per
    value), the other lines in order."""
    plain: list[str] = []
    found: dict[str, Any] = {}
    for line in (text or "").split("\n"):
        label, sep, rest = line.partition(": ")
        key = labels.get(label) if sep else None
        if key in many:
            found.setdefault(key, []).append(rest)
        elif key and key not in found:
            found[key] = rest
        else:
            plain.append(line)
    return plain, found


def _protocol(doc: Doc, data: dict[str, Any]) -> None:
    """ODM 2.0 indications, interventions, endpoints and target population."""
    conditions, meshes = [], []
    for ind in doc.all("//o:StudyIndication"):
        conditions.append(doc.text(ind) or "")
        meshes += [{"id": c.get("Code"), "term": c.get("Label")} for c in doc.all("o:Coding", ind)]
    if conditions:
        data.setdefault("conditions", {})["conditions"] = conditions
        data["conditions"]["condition_mesh"] = meshes or data["conditions"].get("condition_mesh", [])
        if not data["conditions"]["condition_mesh"]:
            del data["conditions"]["condition_mesh"]
    interventions, mesh = [], []
    for iv in doc.all("//o:StudyIntervention"):
        plain, found = _lines(doc.text(iv), {"Type": "type", "Other name": "other_names", "Arm": "arms"},
                              many=("other_names", "arms"))
        out: dict[str, Any] = {"name": plain[0] if plain else ""}
        if len(plain) > 1:
            out["description"] = "\n".join(plain[1:])
        if "type" in found:
            out["type"] = found["type"]
        if "other_names" in found:
            out["other_names"] = found["other_names"]
        if "arms" in found:
            out["arm_group_labels"] = found["arms"]
        interventions.append(out)
        mesh += [{"id": c.get("Code"), "term": c.get("Label")} for c in doc.all("o:Coding", iv)]
    if interventions:
        data["interventions"] = interventions
    if mesh:
        data.setdefault("conditions", {})["intervention_mesh"] = list({m["id"]: m for m in mesh}.values())
    levels = {"Primary": "primary", "Secondary": "secondary", "Exploratory": "other"}
    outcomes: dict[str, list[dict[str, str]]] = {}
    for ep in doc.all("//o:StudyEndPoint"):
        plain, found = _lines(doc.text(ep), {"Time frame": "time_frame"})
        outcome = {"measure": ep.get("Name", "")}
        if len(plain) > 1:
            outcome["description"] = "\n".join(plain[1:])
        outcome.update(found)
        outcomes.setdefault(levels.get(ep.get("Level", ""), "other"), []).append(outcome)
    if outcomes:
        data["outcomes"] = outcomes
    _population(doc, data)


_AGE = re.compile(r"^(\d+) (\w+) \(")


def _population(doc: Doc, data: dict[str, Any]) -> None:
    labels = {"Sex": "sex", "Gender": "gender_description", "Minimum age": "minimum_age",
              "Maximum age": "maximum_age", "Age groups": "std_ages", "Accepts healthy volunteers": "healthy"}
    plain, found = _lines(doc.text(doc.first("//o:StudyTargetPopulation")), labels)
    elig = data.setdefault("eligibility", {})
    if any(plain):
        elig["study_population"] = "\n".join(plain)
    for key in ("sex", "gender_description"):
        _set(elig, key, found.get(key))
    for key in ("minimum_age", "maximum_age"):
        m = _AGE.match(found.get(key, ""))
        if m:
            elig[key] = {"value": int(m[1]), "unit": m[2]}
    if "std_ages" in found:
        elig["std_ages"] = found["std_ages"].split(", ")
    if "healthy" in found:
        elig["healthy_volunteers"] = found["healthy"] == "yes"


def _registry_fields(doc: Doc, data: dict[str, Any]) -> None:
    """Protocol Aliases in the registry-field context: the model path and value of a registry field kept as text."""
    from trialexport.formats.odm.mapping.tables import alias_context

    prefix = alias_context("registry-field")
    for alias in doc.all("//o:MetaDataVersion[1]/o:Protocol/o:Alias"):
        context = alias.get("Context", "")
        if context.startswith(prefix):
            place(data, context[len(prefix):], alias.get("Name", ""))


_STEP = re.compile(r"^(\w+)(?:\[(\d+)\])?$")


def place(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a concrete model path (``locations[3].contacts[0].role``), making lists and objects."""
    node: Any = data
    steps = path.split(".")
    for n, step in enumerate(steps):
        m = _STEP.match(step)
        if not m:
            return
        key, index = m[1], m[2]
        last = n == len(steps) - 1
        if index is None:
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
            continue
        seq = node.setdefault(key, [])
        i = int(index)
        while len(seq) <= i:
            seq.append(None if last else {})
        if last:
            seq[i] = value
        else:
            if not isinstance(seq[i], dict):
                seq[i] = {}
            node = seq[i]


def read_document(root: etree._Element, version: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The model fields an ODM study document carries (a plain dict in the model's shape) and what was noticed."""
    doc = Doc(root, version)
    data = read_ts(ts_records(doc))
    _study(doc, data)
    _criteria(doc, data)
    _arms(doc, data)
    if version == "2.0":
        _protocol(doc, data)
    read_admin(doc, data)
    _registry_fields(doc, data)
    if version == "1.3.2":  # its site names may hold a city to tell sites apart; 2.0 names the institution apart
        unique_name_parts_removed(data)
    return data, []


__all__ = ["Doc", "parse_duration", "read_document"]
