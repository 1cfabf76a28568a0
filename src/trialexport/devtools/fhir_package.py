"""The project's FHIR package (``mappings/fhir/package/``), generated from the mapping tables.

``package.json`` (from ``package-info.csv``), one StructureDefinition per project extension (``extensions.csv`` rows
under the project's canonical base, parts from ``extension-parts.csv``) and one CodeSystem per project code system
(``codesystems.csv``). Definitions carry no date, so the same tables give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from trialexport.formats.fhir.mapping import tables
from trialexport.mapkit.tables import load_table

_EXTENSION = "http://hl7.org/fhir/StructureDefinition/Extension"


def _pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in text.replace("-", " ").split())


def _value(prefix: str, vtype: str) -> dict[str, Any]:
    return {"id": f"{prefix}.value[x]", "path": "Extension.value[x]", "min": 1, "type": [{"code": vtype}]}


def structure_definition(d: tables.ExtensionDef) -> dict[str, Any]:
    """The StructureDefinition of one project extension."""
    info = tables.package_info()
    sid = d.url.rsplit("/", 1)[1]
    elements: list[dict[str, Any]] = [
        {"id": "Extension", "path": "Extension", "short": d.title, "definition": d.note, "min": 0, "max": "*"}]
    if d.value_type:
        elements.append({"id": "Extension.extension", "path": "Extension.extension", "max": "0"})
    else:
        elements.append({"id": "Extension.extension", "path": "Extension.extension",
                         "slicing": {"discriminator": [{"type": "value", "path": "url"}], "ordered": False,
                                     "rules": "closed"}, "min": 1})  # fmt: skip
        for url, vtype, low, high, short in d.parts:
            prefix = f"Extension.extension:{url}"
            elements += [
                {"id": prefix, "path": "Extension.extension", "sliceName": url, "short": short, "definition": short,
                 "min": int(low), "max": high},
                {"id": f"{prefix}.extension", "path": "Extension.extension.extension", "max": "0"},
                {"id": f"{prefix}.url", "path": "Extension.extension.url", "fixedUri": url},
                {**_value(prefix, vtype), "path": "Extension.extension.value[x]"},
            ]  # fmt: skip
    elements.append({"id": "Extension.url", "path": "Extension.url", "fixedUri": d.url})
    if d.value_type:
        elements.append(_value("Extension", d.value_type))
    else:
        elements.append({"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"})
    return {
        "resourceType": "StructureDefinition", "id": sid, "url": d.url, "version": info["version"],
        "name": _pascal(sid), "title": d.title, "status": "active", "experimental": False,
        "publisher": info["publisher"], "description": d.note, "fhirVersion": info["fhirVersion"],
        "kind": "complex-type", "abstract": False, "context": [{"type": "element", "expression": d.context}],
        "type": "Extension", "baseDefinition": _EXTENSION, "derivation": "constraint",
        "differential": {"element": elements},
    }  # fmt: skip


def code_systems() -> dict[str, dict[str, Any]]:
    """``{id: CodeSystem}`` of the project's code systems."""
    info = tables.package_info()
    grouped: dict[str, list[dict[str, str]]] = {}
    for r in load_table("fhir", "codesystems.csv"):
        grouped.setdefault(r["codesystem"], []).append(r)
    out = {}
    for cid, rows in grouped.items():
        out[cid] = {
            "resourceType": "CodeSystem", "id": cid, "url": f"{info['canonical']}/CodeSystem/{cid}",
            "version": info["version"], "name": _pascal(cid), "title": f"trialexport {cid.replace('-', ' ')}",
            "status": "active", "experimental": False, "publisher": info["publisher"],
            "description": f"Codes the trialexport FHIR outputs use where no published code system has one ({cid}).",
            "caseSensitive": True, "content": "complete", "count": len(rows),
            "concept": [{"code": r["code"], "display": r["display"], "definition": r["definition"]} for r in rows],
        }  # fmt: skip
    return out


def package_files() -> dict[str, str]:
    """``{file name: text}`` of the package folder."""
    info = tables.package_info()
    files: dict[str, Any] = {"package.json": {
        "name": info["name"], "version": info["version"], "canonical": info["canonical"], "title": info["title"],
        "description": "StructureDefinitions and CodeSystems of the trialexport FHIR R5/R4 outputs.",
        "fhirVersions": [info["fhirVersion"]], "dependencies": {"hl7.fhir.r5.core": "5.0.0"}, "type": "Conformance",
        "license": "MIT", "author": info["publisher"]}}  # fmt: skip
    for d in tables.extension_defs().values():
        if d.project:
            files[f"StructureDefinition-{d.url.rsplit('/', 1)[1]}.json"] = structure_definition(d)
    for cid, cs in code_systems().items():
        files[f"CodeSystem-{cid}.json"] = cs
    return {name: json.dumps(doc, indent=2, ensure_ascii=False) + "\n" for name, doc in sorted(files.items())}
