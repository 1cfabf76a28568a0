"""Split a registry eligibility-criteria block into individual inclusion/exclusion criteria.

Handles ``Inclusion Criteria:`` / ``Exclusion Criteria:`` headings in their common
spellings, ``*``, ``-``, ``•`` and numbered bullets, nested sub-bullets (kept inside their
parent criterion, one per line), wrapped continuation lines, and run-on numbering such as
``...abnormal tumor marker levels; 8. Patients with blood-borne diseases...``.
The original text is kept separately by the caller (``Eligibility.criteria_text``).
"""

from __future__ import annotations

import re

_HEADING = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?\s*(?:key\s+|main\s+|major\s+|general\s+)?"
    r"(?P<kind>inclusion|inclusions|exclusion|exclusions)"
    r"(?:\s+(?:criteria|criterion|criterium))?(?:\s+(?:include|are|is))?\s*(?:\*\*)?\s*[:\-–]?\s*(?:\*\*)?\s*"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)
_BULLET = re.compile(
    r"^(?P<indent>\s*)(?P<marker>[*\-•·▪◦‣+]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|\([ivx]+\)|[ivx]+[.)])\s+(?P<text>.*)$"
)
_RUNON = re.compile(r"(?<=[;.])\s+(?P<num>\d{1,2})[.)]\s+(?=\S)")
_INTRO = re.compile(r"\b(following|below)\b[^:]*:\s*$", re.IGNORECASE)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")


def unescape(text: str) -> str:
    """Undo CommonMark backslash escapes (``\\<`` -> ``<``)."""
    return _ESCAPE.sub(r"\1", text)


def _heading(line: str) -> tuple[str, str] | None:
    m = _HEADING.match(line)
    if not m:
        return None
    rest = m.group("rest").strip()
    # "Exclusion of patients with ..." is a criterion, not a heading: demand 'criteria' or a colon
    head = line[: m.start("rest")].lower()
    if "criteri" not in head and ":" not in head and rest:
        return None
    if "criteri" not in head and ":" not in head and not head.strip().endswith(("inclusion", "exclusion")):
        return None
    kind = "exclusion" if m.group("kind").lower().startswith("exclu") else "inclusion"
    return kind, rest


def parse_criteria(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Return ``([{"kind": "inclusion"|"exclusion", "text": ...}, ...], notes)``.

    ``notes`` explain choices the caller should report (e.g. no headings found).
    """
    criteria, notes = _parse(text, None)
    if not criteria and text.strip():
        criteria, notes = _parse(text, "inclusion")
        notes.append("no 'Inclusion Criteria'/'Exclusion Criteria' heading: criteria taken as inclusion criteria")
    return criteria, notes


def _parse(text: str, default_kind: str | None) -> tuple[list[dict[str, str]], list[str]]:
    notes: list[str] = []
    sections: list[tuple[str, list[str]]] = []  # (kind, criteria texts)
    preface: list[str] = []
    current: list[str] | None = None  # lines of the criterion being built
    top_indent: int | None = None
    kind: str | None = default_kind
    if default_kind:
        sections.append((default_kind, []))

    def flush() -> None:
        nonlocal current
        if current is not None and kind is not None:
            body = "\n".join(current).strip()
            if body:
                sections[-1][1].append(body)
        current = None

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            continue
        head = _heading(line)
        bullet = _BULLET.match(line)
        if head and not (bullet and kind is not None and not line.lstrip().startswith(("#", "**"))):
            flush()
            kind, rest = head
            sections.append((kind, []))
            top_indent = None
            if rest:
                current = [rest]
            continue
        if kind is None:
            preface.append(line.strip())
            continue
        if bullet:
            indent = len(bullet.group("indent").expandtabs(4))
            if top_indent is None or indent <= top_indent or current is None:
                if top_indent is None or indent < top_indent:
                    top_indent = indent
                flush()
                current = [bullet.group("text").strip()]
            else:  # nested sub-bullet: stays with its parent, on its own line
                current.append(line.strip())
        elif current is None:
            if top_indent is None and _INTRO.search(line) and not sections[-1][1]:
                preface.append(line.strip())  # an introduction such as 'Subjects must meet all of the following:'
                continue
            current = [line.strip()]
        elif top_indent is None and not line.startswith((" ", "\t")):
            # paragraphs without bullets: each line is a criterion
            flush()
            current = [line.strip()]
        else:
            current[-1] = current[-1] + " " + line.strip()
    flush()

    if preface and sections:
        notes.append(f"{len(preface)} introductory line(s) not taken as criteria: {preface[0][:60]!r}")

    out: list[dict[str, str]] = []
    for section_kind, items in sections:
        count = 0
        for item in items:
            for part in _split_runon(item, count):
                count += 1
                out.append({"kind": section_kind, "text": unescape(part)})
    return out, notes


def _split_runon(item: str, before: int) -> list[str]:
    """Split '... levels; 8. Patients ...' when the number continues the section's numbering."""
    parts = [item]
    for m in reversed(list(_RUNON.finditer(item))):
        pos_in_section = before + 1  # this item's own position
        if int(m.group("num")) > pos_in_section:
            head, tail = parts[0][: m.start()], parts[0][m.end() :]
            parts = [head.rstrip(), tail] + parts[1:]
    return [p for p in parts if p.strip()]
