"""The vocabulary of registry eligibility texts (headings, labels, introductions, placeholders) and the notes
the criteria parser reports."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    return Heading(kind, qualifier if isinstance(qualifier, str) and qualifier else None, rest, body)


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
