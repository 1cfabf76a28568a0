"""The criteria parser: sections by heading, groups by sub-heading, criteria by bullet or paragraph."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .headings import (
    _ALTERNATIVES,
    _BULLET,
    _CONNECTOR,
    _INTRO_CUE,
    _LEADING_NUMBER,
    _NO_CRITERIA,
    _NOTES,
    _PLACEHOLDER,
    _RUNON,
    _WRAPPED_HEADING,
    Heading,
    Note,
    _clean,
    heading,
    unescape,
)
from .lines import _family, _is_closing, _is_intro, _is_label, _Line, _lines, _number


@dataclass(slots=True)
class _Section:
    kind: str
    source: str  # "assumed" | "heading" | "eligibility" | "both"
    label: str
    count: dict[str | None, int] = field(default_factory=dict)  # criteria per group (for run-on numbering)


class _Parser:
    """One pass over the lines; see the module docstring for the rules."""

    def __init__(self, text: str) -> None:
        self.lines = _lines(text)
        self.out: list[dict[str, str]] = []
        self.section = _Section("inclusion", "assumed", "")
        self.seen_heading = False
        self.qualifier: str | None = None
        self.parent: str | None = None  # upper sub-heading level
        self.child: str | None = None
        self.label_filled = True  # the latest sub-heading has content under it
        self.last_label: str | None = None
        self.current: list[str] | None = None
        self.current_family: str | None = None  # marker family of the criterion being built
        self.top_indent: int | None = None
        self.family: str | None = None
        self.last_num: int | None = None
        self.nested_run: int | None = None  # last number of sub-items restarted at 1 at the outer level
        self.notes: dict[str, list[str]] = {}
        self.pending_flat: str | None = None  # criterion ending with ':' with no sub-items yet
        self.lead: str | None = None  # a sub-heading standing before headings: their sections' group
        self.heading_line = False  # the line before was a heading

    # -- notes
    def note(self, key: str, example: str) -> None:
        self.notes.setdefault(key, []).append(_clean(example)[:70])

    # -- groups
    def group(self) -> str | None:
        parts = [p for p in (self.qualifier, self.parent, self.child) if p]
        return " / ".join(parts) or None

    def set_label(self, text: str) -> None:
        label = _clean(text.strip("*_ ").rstrip(":").strip())
        first = label.split()[0].lower()
        if _INTRO_CUE.search(label) and _ALTERNATIVES.search(label) and not (
                self.section.kind == "exclusion" and re.search(r"\bany\b", label, re.I)):
            self.note("alternatives", label)  # "Patients must have one of the following:" over bullets
        empty = not self.label_filled and self.last_label is not None
        if (label.isupper() and any(c.isalpha() for c in label)) or (
                self.parent and first == self.parent.split()[0].lower()):
            self.note_empty(empty)
            self.parent, self.child = label, None  # a new part: "PATIENT CHARACTERISTICS", "Part B"
        elif empty and self.parent is None and self.child and first != self.child.split()[0].lower():
            self.parent, self.child = self.child, label  # a label right under a label: two levels
        elif empty and self.last_label == self.parent:
            self.child = label  # the first label under a part
        else:
            self.note_empty(empty)
            self.child = label
        self.last_label, self.label_filled, self.pending_flat = label, False, None
        self.top_indent, self.family, self.last_num, self.nested_run = None, None, None, None

    def note_empty(self, empty: bool) -> None:
        if empty and self.last_label:
            self.note("empty-label", self.last_label)

    # -- criteria
    def flush(self) -> None:
        if self.current is None:
            return
        body = "\n".join(self.current).strip()
        single, symbol = len(self.current) == 1, self.current_family == "symbol"
        self.current = None
        if not body:
            return
        if single and symbol and _is_intro(body, self.section.kind):
            self.note("intro", body)  # "* Participants are excluded ... if any of the following criteria apply:"
            return
        if len(body) < 120 and _PLACEHOLDER.match(unescape(_placeholder_text(body))):
            self.note("placeholder", body)
            self.label_filled = True
            return
        if single and self.current_family and body.rstrip("*_ ").endswith(":"):
            self.pending_flat = body  # a bulleted criterion ending with ':' and nothing indented under it
        group = self.group()
        before = self.section.count.get(group, 0)
        for part in _split_runon(body, before):
            crit = {"kind": "exclusion" if self.section.kind == "exclusion" else "inclusion", "text": unescape(part)}
            if group:
                crit["group"] = group
            self.out.append(crit)
            self.section.count[group] = self.section.count.get(group, 0) + 1
        if self.section.source in ("both", "eligibility"):
            self.note(self.section.source, self.section.label)
        self.label_filled = True
        last = body.rsplit("\n", 1)[-1].rstrip(" .;,")
        if last.rsplit(None, 1)[-1].lower().lstrip(";,") in ("or", "and/or"):
            self.note("alternatives", body.split("\n")[-1][-60:])

    def start(self, text: str, line: _Line) -> None:
        self.flush()
        if self.pending_flat and line.marker:
            self.note("flattened", self.pending_flat)
        self.pending_flat = None
        self.current = [text]
        self.current_family = _family(line.marker) if line.marker else None
        if line.marker:
            if self.top_indent is None or line.indent < self.top_indent:
                self.top_indent = line.indent
            self.family = self.family or _family(line.marker)
            n = _number(line.marker)
            self.last_num = n if n is not None else self.last_num

    def add_nested(self, text: str, same_line: bool) -> None:
        assert self.current is not None
        if same_line:
            self.current[-1] = f"{self.current[-1]} {text}"
        else:
            self.current.append(text)

    # -- main loop
    def run(self) -> tuple[list[dict[str, str]], list[Note]]:
        for i, line in enumerate(self.lines):
            self.step(line, self.lines[i + 1] if i + 1 < len(self.lines) else None)
        self.flush()
        self.note_empty(not self.label_filled)
        return self.out, self.report()

    def step(self, line: _Line, nxt: _Line | None) -> None:
        after_heading, self.heading_line = self.heading_line, False
        wrapped = after_heading and not line.blank_before and self.section.source in ("eligibility", "both")
        if wrapped and (m := _WRAPPED_HEADING.match(line.text)):
            # "Eligibility criteria for the secondary randomisation to once vs twice daily
            #  lamivudine+abacavir Inclusion criteria"
            self.wrapped_heading(m.group("more"), m.group("kind"))
            return
        outer = self.current is None or self.top_indent is None or line.indent <= self.top_indent
        h = heading(line.body if line.marker else line.text)
        if h and not outer and (h.qualifier or h.rest or h.kind not in ("inclusion", "exclusion")
                                or not line.text[0].isupper()):
            h = None  # inside a criterion only a bare "Exclusion criteria" line is still a heading
        if h and (not line.marker or not h.rest or not self.seen_heading):
            self.on_heading(h, line)
            return
        if line.marker:
            self.on_bullet(line, outer)
            return
        text = line.text
        if _CONNECTOR.match(text):
            self.flush()
            self.note("alternatives", text)
            return
        lead = _LEADING_NUMBER.match(text)
        if lead and self.last_num is not None and int(lead.group("num")) == self.last_num + 1:
            self.start(text[lead.end():], line)  # "5 Uncontrolled ..." continues the numbering without its period
            self.last_num += 1
            return
        if self.current is not None and not outer:
            self.add_nested(text, same_line=not line.blank_before)
            return
        if _is_closing(text):
            self.flush()
            self.note("closing", text)
            return
        if _NO_CRITERIA.match(text) or _PLACEHOLDER.match(unescape(text)):
            self.flush()
            self.note("no-criteria" if _NO_CRITERIA.match(text) else "placeholder", text)
            self.label_filled = True
            return
        if _is_intro(text, self.section.kind):
            self.flush()
            self.note("intro", text)
            return
        if _is_label(text) and (nxt is None or nxt.marker or nxt.indent <= line.indent or nxt.blank_before):
            self.flush()
            self.set_label(text)
            return
        if self.current is None:
            self.start(text, line)
        elif self.top_indent is None:
            if line.blank_before or line.indent == 0:
                self.start(text, line)  # sections without bullets: one criterion per paragraph
            else:
                self.add_nested(text, same_line=True)
        elif line.blank_before:
            self.note("loose", text)  # a paragraph after a bulleted list ends the list (as in Markdown)
            self.start(text, line)
        else:
            self.add_nested(text, same_line=True)  # a wrapped line

    def on_heading(self, h: Heading, line: _Line) -> None:
        self.flush()
        self.pending_flat = None
        if not self.label_filled and self.last_label:
            self.lead = self.last_label  # "For parents:" then "Inclusion criteria:": the group of the sections after
        if h.qualifier:  # "Eligibility criteria for the secondary randomisation": the scope of the headings after
            self.lead = h.qualifier if h.kind in ("eligibility", "both") else None
        if self.section.source == "assumed" and self.out:
            self.note("before-heading", self.out[0]["text"])
        kind = h.kind if h.kind in ("inclusion", "exclusion") else "inclusion"
        source = "heading" if h.kind in ("inclusion", "exclusion") else h.kind
        self.section = _Section(kind, source, h.label)
        self.seen_heading = True
        self.qualifier, self.parent, self.child = h.qualifier or self.lead, None, None
        self.label_filled, self.last_label = True, None
        self.top_indent, self.family, self.last_num, self.nested_run = None, None, None, None
        self.heading_line = True
        if h.rest:
            self.start(h.rest, _Line(line.indent, h.rest, False))

    def wrapped_heading(self, more: str, kind: str) -> None:
        """The second line of a heading wrapped over two lines: it names the kind and ends the qualifier."""
        qualifier = " ".join(p for p in (self.qualifier, more.strip()) if p) or None
        self.section = _Section("exclusion" if kind.lower().startswith("ex") else "inclusion", "heading",
                                f"{self.section.label} {more}".strip())
        self.qualifier = self.lead = qualifier

    def on_bullet(self, line: _Line, outer: bool) -> None:
        assert line.marker is not None
        text, fam, num = line.body, _family(line.marker), _number(line.marker)
        if self.current is not None and outer:
            if self.family in ("symbol", "digit") and fam == "roman":
                self.add_nested(line.text, same_line=False)  # "(ii)" continuing "(i)" inside a bulleted criterion
                return
            if self.nested_run is not None and num == self.nested_run + 1:
                self.nested_run = num
                self.add_nested(line.text, same_line=False)
                return
            self.nested_run = None
            if (num == 1 and self.family == "digit" and (self.last_num or 0) >= 2
                    and self.current[-1].rstrip("*_ ").endswith(":")):
                self.nested_run = 1  # numbering restarts under "18. Any of the following ...:": sub-items
                self.add_nested(line.text, same_line=False)
                return
        if self.current is not None and not outer:
            self.add_nested(line.text, same_line=False)
            return
        if _CONNECTOR.match(text):
            self.flush()
            self.note("alternatives", text)
            return
        if _is_closing(text):
            self.flush()
            self.note("closing", text)
            return
        if _NO_CRITERIA.match(text):
            self.flush()
            self.note("no-criteria", text)
            self.label_filled = True
            return
        self.start(text, line)

    def report(self) -> list[Note]:
        """One note per kind of finding, in a fixed order, with the count and the first example."""
        found = dict(self.notes)
        if not self.seen_heading and self.out:
            found["no-heading"] = []
        out = []
        for kind, (severity, template) in _NOTES.items():
            if kind in found:
                examples = found[kind]
                text = template.format(n=len(examples), first=repr(examples[0]) if examples else "")
                out.append(Note(severity, text, kind))
        return out


def _placeholder_text(body: str) -> str:
    """``Hormone receptor status:\\n- Not specified`` -> ``Not specified``: a label holding only a placeholder."""
    lines = body.split("\n")
    if len(lines) == 2 and lines[0].rstrip().endswith(":"):
        b = _BULLET.match(lines[1])
        return b.group("text") if b else lines[1]
    return body


def _split_runon(item: str, before: int) -> list[str]:
    """Split '... levels; 8. Patients ...' when the number continues the section's numbering."""
    parts = [item]
    for m in reversed(list(_RUNON.finditer(item))):
        if int(m.group("num")) > before + 1:
            head, tail = parts[0][: m.start()], parts[0][m.end() :]
            parts = [head.rstrip(), tail] + parts[1:]
    return [p for p in parts if p.strip()]


def parse_criteria(text: str) -> tuple[list[dict[str, str]], list[Note]]:
    """Return ``([{"kind": "inclusion"|"exclusion", "text": ..., "group": ...}, ...], notes)``.

    ``group`` is present only for criteria under a sub-heading or a qualified heading. ``notes`` say where
    the split is a guess (warnings) and what text was deliberately not taken as a criterion (info).
    """
    return _Parser(text).run()
