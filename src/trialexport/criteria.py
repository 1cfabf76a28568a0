"""Split a registry eligibility-criteria block into individual inclusion/exclusion criteria.

What the parser recognises (registries write these blocks by hand, so every rule is a
heuristic; each place where it has to guess is reported, see :class:`Note`):

- **Headings** set the kind of the criteria under them and are never criteria:
  ``Inclusion Criteria:``, ``Key Exclusion Criteria``, ``INCLUSION CRITERIA``, ``**Inclusion
  Criteria:**``, ``## Exclusion criteria``, ``1. Inclusion criteria``, ``Inclusion Criteria
  (Parts 1 and 2):``, ``Part 1 additional inclusion criteria:``, ``Exclusion Criteria for
  Stage 1``. A qualifier in the heading (``Parts 1 and 2``, ``Part 1``, ``Stage 1``) becomes
  the group of the criteria under it. ``Eligibility criteria:`` (and ``Selection criteria``,
  ...) means inclusion criteria; a heading naming both kinds (``Inclusion/Exclusion
  criteria``) is taken as inclusion with a warning.
- **Sub-headings** (``For adolescent participants:``, ``Part A:``, ``Cohort 2``, the upper-case
  parts and ``Age:`` labels of older NCI records) become the ``group`` of the criteria under
  them. Two levels are kept (``PATIENT CHARACTERISTICS / Age``).
- **Criteria**: ``*``, ``-``, ``•`` and numbered bullets, or one criterion per paragraph when
  a section has no bullets. Indented sub-items stay inside their criterion, one per line;
  so do ``(ii)``-style sub-enumerations written at the outer level, and numbered sub-items
  restarting at ``1.`` after a criterion ending with ``:``. Wrapped lines join their
  criterion; run-on numbering (``...levels; 8. Patients with ...``) is split.
- **Not criteria**: introductions (``Subjects must meet all of the following criteria:``),
  closing notes (``The information listed above is not intended ...``, ``Other
  protocol-defined criteria apply.``), placeholders (``N/A``, ``None``, ``Not specified``,
  ``[obsolete]``, ``See Disease Characteristics``) and statements that there are no criteria
  (``There are no specific eligibility criteria for ...``). They stay in the verbatim text
  (``Eligibility.criteria_text``, kept by the caller) and are reported as information.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# --- line patterns -----------------------------------------------------------------------------------------------

_BULLET = re.compile(
    r"^(?P<indent>\s*)(?P<marker>[•▪◦‣·](?=\s*\S)|[*\-+](?=\s)|\(?\d{1,3}[.)](?=\s)|\(?[a-zA-Z][.)](?=\s)"
    r"|\([ivxIVX]+\)(?=\s)|[ivxIVX]+[.)](?=\s))\s*(?P<text>.*)$"
)
_ROMAN = frozenset(("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"))
_MARKUP = re.compile(r"^(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?P<body>.*?)\s*(?:\*\*|__)?\s*(?P<colon>:)?\s*(?:\*\*|__)?$")
_KIND = (
    r"(?P<both>inclusion(?:\s*(?:/|and/or|and|&|or|-)\s*)exclusions?|exclusion(?:\s*(?:/|and/or|and|&|or|-)\s*)inclusions?)"
    r"|(?P<incl>inclusions?|inclusionary)|(?P<excl>exclusions?|exclusionary)"
    r"|(?P<elig>eligibility|selection|entry|enrol{1,2}ment|participant\s+selection|patient\s+selection|subject\s+selection)"
)
_HEADING_WORDS = ("inclu", "exclu", "eligib", "selection", "entry", "enrol")
_CRIT = r"crit\w*|creteria|crieria|requirements?"
_HEADING = re.compile(
    rf"^(?P<pre>.*?)\b(?:criteria\s+for\s+(?:(?P<incl2>inclusion)|(?P<excl2>exclusion))|(?:{_KIND})(?:\s+(?P<crit>{_CRIT}))?)\b"
    r"(?P<post>.*)$",
    re.IGNORECASE,
)
_PRE_FREE = re.compile(r"^(?:key|main|major|general|principal|additional|specific|study|trial|protocol|overall)$", re.I)
_LABEL_WORDS = r"parts?|cohorts?|groups?|arms?|stages?|phase|step|sub-?study|module|period|segment"
_STRONG_LABEL = re.compile(
    rf"^(?:{_LABEL_WORDS})\s+[A-Za-z0-9][\w.\-]{{0,5}}(?:\s*(?:and|&|,|/|to)\s*[\w.\-]{{1,5}})*$", re.I
)
_POST_OK = re.compile(
    rf"^(?:\((?P<paren>[^()]*)\)|(?:for|specific\s+to|applicable\s+to|in)\s+(?P<for>.{{1,80}})"
    rf"|(?P<label>(?:{_LABEL_WORDS})\b.{{0,40}})|[-–—]\s*(?P<dash>.{{1,60}}))$",
    re.I,
)
_POST_VERB = re.compile(r"^(?:include|includes|are|is|are as follows|as follows|include the following)$", re.I)
_EDGE_WORDS = re.compile(r"^(?:additional|specific|key|main|the|for)\s+|\s+(?:additional|specific|only)$", re.I)

_INTRO_CUE = re.compile(r"\b(?:following|below)\b", re.I)
_INTRO_TOPIC = re.compile(
    r"\b(?:criteria|criterion|requirements?|conditions|eligible|eligibility|participate|enrol(?:l)?ed|included|"
    r"excluded|apply|study)\b",
    re.I,
)
_ALTERNATIVES = re.compile(r"\b(?:one|either|at\s+least|any)\b", re.I)
_CLOSING = re.compile(
    r"(?:(?:information|criteria)\s+(?:listed\s+)?above|above\s+information)\s+(?:is|are)\s+not\s+intended"
    r"|^(?:note:\s*)?(?:other|additional|further)\b.{0,60}\bcriteria\b.{0,40}\bapply\b",
    re.I,
)
_PLACEHOLDER = re.compile(
    r"^(?:n/?a|none|nil|not\s+applicable|not\s+specified|not\s+required|\[?(?:obsolete|deleted|removed|reserved)\]?"
    r"|intentionally\s+left\s+blank)(?:\s*[.,;:]\s*.{0,40})?\.?$"
    r"|^see\s+\S+(?:\s+\S+){0,4}$",
    re.I,
)
_NO_CRITERIA = re.compile(
    r"^(?:there\s+(?:are|is)\s+)?no\s+(?:specific\s+|particular\s+|formal\s+)?"
    r"(?:eligibility\s+|inclusion\s+|exclusion\s+|inclusion\s*/\s*exclusion\s+)?criteri",
    re.I,
)
_WRAPPED_HEADING = re.compile(r"^(?P<more>.*?)\s*\b(?P<kind>inclusion|exclusion)\s+criteri\w*\s*:?$", re.I)
_CONNECTOR = re.compile(r"^[-–(]*\s*(?:or|and/or)\s*[-–)]*:?$", re.I)
_RUNON = re.compile(r"(?<=[;.])[ \t]+(?P<num>\d{1,2})[.)][ \t]+(?=\S)")  # within a line only
_LEADING_NUMBER = re.compile(r"^(?P<num>\d{1,2})\s+(?=[A-Z])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~&])")


def unescape(text: str) -> str:
    """Undo CommonMark backslash escapes (``\\<`` -> ``<``)."""
    return _ESCAPE.sub(r"\1", text)


Severity = Literal["warning", "info"]


@dataclass(frozen=True, slots=True)
class Note:
    """Something the caller should report: ``warning`` where the split is a guess a reader should check,
    ``info`` for text deliberately not taken as a criterion (it stays in the verbatim block)."""

    severity: Severity
    text: str
    kind: str = ""  # what the note is about ("no-heading", "alternatives", "intro", ...), for grouping


# what the parser reports, by kind: warnings where the split is a guess, info for text set aside
_NOTES: dict[str, tuple[Severity, str]] = {
    "no-heading": ("warning", "no 'Inclusion Criteria'/'Exclusion Criteria' heading: criteria taken as inclusion "
                              "criteria"),
    "before-heading": ("warning", "criteria before the first heading taken as inclusion criteria, from {first}"),
    "both": ("warning", "heading {first} names both kinds: {n} criteria under it taken as inclusion criteria"),
    "alternatives": ("warning", "'OR' between criteria: they are alternatives, each listed as a criterion of its "
                                "own ({n}x, {first})"),
    "loose": ("warning", "{n} unbulleted paragraph(s) after a bulleted list taken as criteria of their own: {first}"),
    "flattened": ("warning", "{n} criterion/criteria ending with ':' without indented sub-items; the items after "
                             "may belong to it: {first}"),
    "empty-label": ("warning", "{n} sub-heading(s) with no criteria under them: {first}"),
    "eligibility": ("info", "criteria under {first} taken as inclusion criteria"),
    "intro": ("info", "{n} introductory line(s) not taken as criteria: {first}"),
    "closing": ("info", "{n} closing note(s) not taken as criteria: {first}"),
    "placeholder": ("info", "{n} placeholder item(s) not taken as criteria: {first}"),
    "no-criteria": ("info", "the text states there are no criteria, not taken as a criterion: {first}"),
}


@dataclass(frozen=True, slots=True)
class Heading:
    """A recognised heading: the kind it sets (``both`` and ``eligibility`` mean inclusion, see the module
    docstring), the group qualifier it carries, and any criterion text after its colon."""

    kind: Literal["inclusion", "exclusion", "both", "eligibility"]
    qualifier: str | None
    rest: str
    label: str


def _clean(text: str) -> str:
    return " ".join(unescape(text).split())


def heading(line: str) -> Heading | None:
    """The heading this line is, or None (``Inclusion Criteria:``, ``**Key Exclusion Criteria**``, ...)."""
    text = line.strip()
    head, colon, rest = text.partition(":")
    low = head.lower()
    if len(head) > 130 or not any(w in low for w in _HEADING_WORDS):
        return None  # cheap test first: most lines are criteria
    m = _MARKUP.match(head)
    if not m:
        return None
    body = m.group("body").strip("*_ ")
    rest = rest.strip().strip("*_").strip()
    has_colon = bool(colon) or bool(m.group("colon"))
    h = _HEADING.match(body)
    if not h or len(body) > 120:
        return None
    pre, post = h.group("pre").strip(" -–—,"), h.group("post").strip()
    if h.group("both"):
        kind: Literal["inclusion", "exclusion", "both", "eligibility"] = "both"
    elif h.group("incl") or h.group("incl2"):
        kind = "inclusion"
    elif h.group("excl") or h.group("excl2"):
        kind = "exclusion"
    else:
        kind = "eligibility"
        if not h.group("crit") and not (has_colon and body.lower() == "eligibility"):
            return None
    if kind != "eligibility" and not h.group("crit") and not has_colon and (pre or post):
        return None  # "Exclusion of patients with ...", "Transplant inclusion" without colon: text, not heading
    qualifier = _qualifier(pre, post, has_colon)
    if qualifier is False:
        return None
    if rest and not has_colon:
        return None
    return Heading(kind, qualifier or None, rest, body)


def _qualifier(pre: str, post: str, has_colon: bool) -> str | bool | None:
    """The group named around the kind words, None for none, False when the words are not a heading's."""
    parts = []
    if pre:
        words = pre.split()
        if len(words) > 5 or re.search(r"[.;!?]", pre):
            return False
        free = all(_PRE_FREE.match(w) for w in words)
        if not free:
            if not (has_colon or _STRONG_LABEL.match(_EDGE_WORDS.sub("", pre))):
                return False
            if not all(w[0].isupper() or w[0].isdigit() or _PRE_FREE.match(w) or w.lower() in ("and", "of", "for")
                       for w in words):
                return False
            parts.append(pre)
    if post:
        post = post.strip(" ,")
        if has_colon and _POST_VERB.match(post):
            pass
        elif m := _POST_OK.match(post):
            parts.append(next(g for g in m.group("paren", "for", "label", "dash") if g is not None))
        else:
            return False
    text = " ".join(_EDGE_WORDS.sub("", p).strip(" -–—") for p in parts if p).strip()
    return _EDGE_WORDS.sub("", text).strip() or None


# --- the parser --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    indent: int
    text: str  # stripped
    blank_before: bool
    marker: str | None = None  # bullet marker, when the line is a bullet
    body: str = ""  # bullet text (or the line's text)


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    blank = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not any(ch.isalnum() for ch in raw):  # blank, or a rule such as "---" or "***"
            blank = True
            continue
        line = raw.rstrip().expandtabs(4)
        b = _BULLET.match(line)
        indent = len(line) - len(line.lstrip())
        if b:
            out.append(_Line(indent, line.strip(), blank, b.group("marker"), b.group("text").strip()))
        else:
            out.append(_Line(indent, line.strip(), blank, None, line.strip()))
        blank = False
    return out


def _family(marker: str) -> str:
    core = marker.strip("().")
    if core.isdigit():
        return "digit"
    if core.lower() in _ROMAN and (marker.startswith("(") or len(core) > 1 or core.lower() == "i"):
        return "roman"
    if core.isalpha() and len(core) == 1:
        return "letter"
    return "symbol"


def _number(marker: str) -> int | None:
    core = marker.strip("().")
    return int(core) if core.isdigit() else None


def _is_closing(text: str) -> bool:
    low = text.lower()
    return ("intended" in low or "apply" in low) and bool(_CLOSING.search(text))


def _is_intro(text: str, kind: str) -> bool:
    if not text.rstrip("*_ ").endswith(":") or not _INTRO_CUE.search(text) or not _INTRO_TOPIC.search(text):
        return False
    if _ALTERNATIVES.search(text) and not (kind == "exclusion" and re.search(r"\bany\b", text, re.I)):
        return False  # "must meet one of the following:" is a criterion whose options follow
    return len(text.split()) <= 30


def _is_label(text: str) -> bool:
    """A sub-heading: a short label ending with a colon, or ``Part A`` / ``Cohort 2`` on its own."""
    body = text.strip("*_ ")
    if _STRONG_LABEL.match(body.rstrip(":").strip()):
        return True
    if not body.endswith(":"):
        return False
    label = body[:-1].strip()
    return bool(label) and len(label.split()) <= 12 and len(label) <= 100 and not re.search(r"[.;]\s", label)


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
