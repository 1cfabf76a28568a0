"""Section parsers: one function per ``handler`` of ``study-page-sections.csv`` (groups and
interventions are in :mod:`.groups`). Each takes the reader, the section's lines (site sentences
removed) and the heading, and writes into the reader.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from .values import FIELD_READERS, Bad, FieldReader, Line, code, coded, is_no_value, join_lines
from .vocabulary import alternation, label_words, labels, lookup, norm, sections

if TYPE_CHECKING:
    from .reader import PageReader

# normalized label -> (several value lines?, reader, model paths)
FieldSpec = dict[str, tuple[bool, FieldReader, list[str]]]


@cache
def field_spec(section: str) -> FieldSpec:
    """The labelled fields of ``section`` (study-page-labels.csv rows with ``lines`` one / several)."""
    return {
        norm(r["label"]): (r["lines"] == "several", FIELD_READERS[r["value"]], r["target"].split())
        for r in labels(section)
        if r["lines"] in ("one", "several")
    }


@cache
def same_line(section: str, target: str, shape: str = r"\b:?\s*(?P<v>.*)") -> re.Pattern[str]:
    """'Label value' / 'Label: value' on one line, for the label(s) of ``target`` in ``section``."""
    return re.compile(rf"^(?:{alternation(label_words(section, target))}){shape}$")


def label_of(text: str, spec: FieldSpec) -> tuple[str, str | None] | None:
    """(label key, inline value or None) when ``text`` is a known label line ('Label' or 'Label: value')."""
    key = norm(text)
    if key in spec:
        return key, None
    head, sep, rest = text.partition(":")
    if sep and norm(head) in spec and rest.strip():
        return norm(head), rest.strip()
    return None


def read_fields(page: PageReader, body: list[Line], section: str, spec: FieldSpec) -> None:
    """Read 'Label' + value line(s) pairs; unknown labels (one value line each) go to extras."""
    found_groups: list[tuple[str, bool, list[Line], int]] = []  # (label, known, values, line)
    for no, raw in body:
        text = raw.strip()
        if not text:
            continue
        hit = label_of(text, spec)
        if hit is not None:
            found_groups.append((hit[0], True, [(no, hit[1])] if hit[1] else [], no))
            continue
        if found_groups:
            label, known, values, _ = found_groups[-1]
            if not values or (known and spec[label][0]):
                values.append((no, text))
                continue
        found_groups.append((text, False, [], no))
    for label, known, values, no in found_groups:
        texts = [t for _, t in values]
        if not known:
            if texts:
                page.keep(section, label, "\n".join(texts), no, f"unknown field {label!r}")
            else:
                page.keep(section, "unread", label, no, f"line not understood: {label[:60]!r}")
            continue
        _, reader, paths = spec[label]
        try:
            found = reader(texts, paths)
        except Bad as exc:
            page.keep(section, label, "\n".join(texts), no, f"{label!r}: {exc}")
            continue
        unknown = found.pop("!unknown", None)
        if unknown:
            page.keep(section, label, unknown, no, f"{label!r}: value(s) not understood {unknown}")
        for path, value in found.items():
            page.set(path, value)


def _target(section: str) -> str:
    return sections()[section]["target"]


def fields(page: PageReader, body: list[Line], section: str) -> None:
    """A section of labelled fields only (Basic Information, Study Design)."""
    read_fields(page, body, section, field_spec(section))


def text(page: PageReader, body: list[Line], section: str) -> None:
    """Free text, verbatim (Brief Summary, Detailed Description)."""
    if joined := join_lines(body):
        page.set(_target(section), joined)


def conditions(page: PageReader, body: list[Line], section: str) -> None:
    """One condition per line; one line of several words is ambiguous (the page drops separators)."""
    items = [(no, t.strip()) for no, t in body if t.strip()]
    names = []
    for _, line in items:
        if line not in names:
            names.append(line)
    if names:
        page.set(_target(section), names)
    if len(items) == 1 and len(items[0][1].split()) > 1:
        page.warn(
            f"conditions given on one line ({items[0][1][:60]!r}); the page format does not separate "
            "conditions, so it is kept as one condition",
            section,
            items[0][0],
        )


def study_results(page: PageReader, body: list[Line], section: str) -> None:
    """Kept in extras; a known text ('Results pending') sets has_results."""
    joined = "\n".join(t.strip() for _, t in body if t.strip())
    if not joined:
        return
    page.extras["page.study_results"] = joined
    has_results = lookup("study_results", joined)
    if has_results is not None:
        page.data[_target(section)] = has_results == "true"
    else:
        page.warn(
            "study results content is not read into the model; kept in extras['page.study_results']",
            section,
            body[0][0] if body else None,
        )


def related_trials(page: PageReader, body: list[Line], section: str) -> None:
    """Other studies shown by the site: not data of this study, only noted."""
    ids = {m for _, t in body for m in re.findall(r"\bNCT\d{8}\b", t)}
    if any(t.strip() for _, t in body):
        page.info(
            f"list of {len(ids)} other related trial(s) shown by the site ignored: not data of this study",
            section,
            body[0][0],
        )


def eligibility(page: PageReader, body: list[Line], section: str) -> None:
    """Criteria text (every line before the first field label, verbatim), then labelled fields."""
    spec = field_spec(section)
    cut = next((k for k, (_, t) in enumerate(body) if t.strip() and label_of(t.strip(), spec)), len(body))
    if criteria := join_lines(body[:cut]):
        page.set(_target(section), criteria)
    read_fields(page, body[cut:], section, spec)


def sponsors(page: PageReader, body: list[Line], section: str) -> None:
    """Per organization: name, [agency class], 'Sponsor Role X'."""
    role_line = same_line(section, "sponsors[].role")
    pending: list[Line] = []
    for no, raw in body:
        line = raw.strip()
        if not line:
            continue
        m = role_line.match(line)
        if not m:
            pending.append((no, line))
            continue
        if not pending:
            page.keep(section, "unread", line, no, "sponsor role without a sponsor name")
            continue
        org: dict[str, Any] = {"name": pending[0][1]}
        if len(pending) > 1:
            org["agency_class"] = coded("agency_class", pending[1][1])
        if len(pending) > 2:
            page.keep(
                section,
                org["name"],
                [t for _, t in pending[2:]],
                pending[2][0],
                f"extra lines for sponsor {org['name']!r}",
            )
        role = lookup("sponsor_role", m.group("v"))
        found = page.data.setdefault("sponsors", {})
        if role == "lead_sponsor":
            if "lead_sponsor" in found:
                page.keep(section, "lead", org, pending[0][0], "second lead sponsor")
            else:
                found["lead_sponsor"] = org
        elif role == "collaborators":
            found.setdefault("collaborators", []).append(org)
        else:
            page.keep(section, "role", {**org, "role": m.group("v")}, no, f"unknown sponsor role {m.group('v')!r}")
        pending = []
    if pending:
        lines = [t for _, t in pending]
        page.keep(section, "unread", lines, pending[0][0], "sponsor lines without a 'Sponsor Role'")


def responsible_party(page: PageReader, body: list[Line], section: str) -> None:
    """'Responsibility Role X'."""
    role_line = same_line(section, "sponsors.responsible_party.type")
    for no, raw in body:
        line = raw.strip()
        if not line:
            continue
        m = role_line.match(line)
        if m and m.group("v").strip():
            page.set("sponsors.responsible_party.type", code(m.group("v")))
        else:
            page.keep(section, "unread", line, no, f"line not understood: {line[:60]!r}")


def references(page: PageReader, body: list[Line], section: str) -> None:
    """Citation line(s), then 'Reference Type X' and/or 'PMID: N (View on PubMed)', in either order."""
    pmid_line = same_line(section, "references[].pmid", r"\s*:?\s*(?P<v>\d+)\b.*")
    type_line = same_line(section, "references[].type")
    refs: list[dict[str, Any]] = []
    pending: list[str] = []  # citation lines of a reference not yet started
    for _, raw in body:
        line = raw.strip()
        if not line:
            continue
        if m := pmid_line.match(line):
            key, value = "pmid", m.group("v")
        elif m := type_line.match(line):
            if not m.group("v").strip():
                continue  # 'Reference Type' without a value
            key, value = "type", code(m.group("v"))
        else:
            pending.append(line)
            continue
        if pending or not refs or key in refs[-1]:
            refs.append({"citation": " ".join(pending)} if pending else {})
            pending = []
        refs[-1][key] = value
    if pending:
        refs.append({"citation": " ".join(pending)})
    if refs:
        page.data["references"] = refs


@cache
def _identifier_fields(section: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """('Identifier Type: X' pattern, {label: field key 'type' / 'source' / 'domain' / 'link'})."""
    rows = [r for r in labels(section) if r["target"].startswith("identifiers[].")]
    keys = {r["label"]: r["target"].rsplit(".", 1)[-1] for r in rows}
    return re.compile(rf"^(?P<k>{alternation(list(keys))})\b\s*:?\s*(?P<v>.*)$"), keys


def identifiers(page: PageReader, body: list[Line], section: str) -> None:
    """Identifier line, then its 'Identifier Type/Source/Domain/Link' lines; the source tells
    the org study id from secondary ids."""
    field_line, field_keys = _identifier_fields(section)
    entries: list[tuple[int, str, dict[str, str]]] = []
    for no, raw in body:
        line = raw.strip()
        if not line:
            continue
        if m := field_line.match(line):
            if not entries:
                page.keep(section, "unread", line, no, "identifier field before any identifier")
            else:
                entries[-1][2][field_keys[m.group("k")]] = m.group("v").strip()
        else:
            entries.append((no, line, {}))
    ident = page.data.setdefault("identification", {}) if entries else {}
    for no, id_text, found in entries:
        id_type = found.get("type")
        id_type = None if id_type is None or is_no_value(id_type) else code(id_type)
        source = lookup("identifier_source", found.get("source", ""))
        is_org = source == "org_study_id"
        if is_org:
            if "org_study_id" in ident:
                page.keep(section, "org_study_id", id_text, no, f"second org study id {id_text!r}")
                continue
            entry: dict[str, Any] = {"id": id_text}
        else:
            if source != "secondary_ids":
                page.warn(
                    f"identifier {id_text!r} has source {found.get('source')!r}: read as a secondary id",
                    section,
                    no,
                )
            entry = {"id": id_text}
            if found.get("domain") and not is_no_value(found["domain"]):
                entry["domain"] = found["domain"]
        if id_type:
            entry["type"] = id_type
        if found.get("link") and not is_no_value(found["link"]):
            entry["link"] = found["link"]
        if is_org:
            ident["org_study_id"] = entry
        else:
            ident.setdefault("secondary_ids", []).append(entry)


HANDLERS = {
    "fields": fields,
    "text": text,
    "conditions": conditions,
    "study_results": study_results,
    "related_trials": related_trials,
    "eligibility": eligibility,
    "sponsors": sponsors,
    "responsible_party": responsible_party,
    "references": references,
    "identifiers": identifiers,
}
