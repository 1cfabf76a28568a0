"""Registry study pages saved as text (see ``fixtures/NCT04318600.txt``) -> dict in the model's shape.

Page layout: a title line, ``NCT ID: NCT...``, ``Last Updated: YYYY-MM-DD``, then sections.
Each section heading ("Basic Information", "Study Design", ...) is followed by one boilerplate
sentence of the site ("Get a concise snapshot of the trial, ..."): site text, not data, dropped.
Inside a section, fields are a label line followed by value line(s) ("Clinical Phase" / "PHASE1"),
or one line of label and value ("Group Type EXPERIMENTAL", "Sponsor Role lead", "PMID: 123").

Choices, for lack of better information on the page:

- ``Last Updated`` is the date the page shows as last posted: ``status.last_update_posted_date``
  (a :class:`~trialexport.model.DateInfo` without ``type``, which the page does not give).
- Dates show no ACTUAL/ESTIMATED type unless the page writes one ("2014-01 (Actual)").
- Conditions: one condition per line. The page joins a study's conditions on one line without a
  separator, so a single line of several words stays one condition, with a warning.
- ``More Related Trials`` lists *other* studies: dropped, with an info diagnostic (not kept in
  ``extras``, where writers could take them for data of this study).
- ``Study Results``: the text is kept in ``extras["page.study_results"]``; "Results pending" also
  sets ``has_results`` to False.
- The criteria block is every line of "Eligibility Criteria" before its first field label
  (``Minimum Eligible Age``, ...), verbatim; ``finalize`` splits it into criteria.
- Unknown sections and labels go to ``extras["page.<section>[.<label>]"]`` with a warning.

Every problem is a ``READ-PAGE`` diagnostic whose path is the section name. Nothing raises.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from ..diagnostics import Diagnostic, error, warning
from ..model import check_partial_date

CODE = "READ-PAGE"

Line = tuple[int, str]  # (1-based line number, text without trailing whitespace)

SECTIONS = (
    "Study Results",
    "Basic Information",
    "Brief Summary",
    "Detailed Description",
    "Conditions",
    "Study Design",
    "Study Groups",
    "Interventions",
    "Eligibility Criteria",
    "Sponsors",
    "Responsible Party",
    "References",
    "Other Identifiers",
    "More Related Trials",
)

# The site's fixed sentences (after headings, or standing for an empty state): never data.
BOILERPLATE = (
    "Get a concise snapshot of the trial, including recruitment status, study phase, enrollment targets, "
    "and key timeline milestones.",
    "Review the sponsor-provided synopsis that highlights what the study is about and why it is being conducted.",
    "Dive into the extended narrative that explains the scientific background, objectives, and procedures "
    "in greater depth.",
    "See the medical conditions and disease areas that this research is targeting or investigating.",
    "Understand how the trial is structured, including allocation methods, masking strategies, primary purpose, "
    "and other design elements.",
    "Review each arm or cohort in the study, along with the interventions and objectives associated with them.",
    "Learn about the drugs, procedures, or behavioral strategies being tested and how they are applied "
    "within this trial.",
    "Check the participation requirements, including inclusion and exclusion rules, age limits, and whether "
    "healthy volunteers are accepted.",
    "Meet the organizations funding or collaborating on the study and learn about their roles.",
    "Identify the individual or organization who holds primary responsibility for the study information "
    "submitted to regulators.",
    "Explore related publications, articles, or registry entries linked to this study.",
    "Review additional registry numbers or institutional identifiers associated with this trial.",
    "Additional clinical trials that may be relevant based on similarity analysis.",
    "The study team has not published outcome measurements, participant flow, or safety data for this trial yet. "
    "Check back later for updates.",
)

_NCT_LINE = re.compile(r"^\s*NCT\s*ID\s*:\s*(?P<id>\S.*?)\s*$", re.IGNORECASE)
_NCT_ID = re.compile(r"^NCT\d{8}$")
_UPDATED_LINE = re.compile(r"^\s*Last\s+Updated\s*:\s*(?P<date>.*?)\s*$", re.IGNORECASE)
_BOILER_START = re.compile(
    r"^(Get|Review|Dive|See|Understand|Learn|Check|Meet|Identify|Explore|Find|Discover|View|Browse|Read|Track|"
    r"Compare|Access|Examine|Look|Consult|Locate|Additional|Stay|Gain)\b"
)
_BOILER_TOPIC = re.compile(r"\b(trials?|study|studies|research)\b", re.IGNORECASE)
_TITLE_WORD = r"(?:[A-Z][A-Za-z'’&/-]*|and|or|of|the|for|to|in|on|with|&)"
_TITLE_LIKE = re.compile(rf"^[A-Z][A-Za-z'’&/-]*(?: {_TITLE_WORD}){{0,5}}$")

_GROUP_TYPE = re.compile(r"^Group Type\b:?\s*(?P<v>.*)$")
_INTERVENTION_TYPE = re.compile(r"^Intervention Type\b:?\s*(?P<v>.*)$")
_NO_INTERVENTIONS = re.compile(r"^No interventions? (?:assigned|listed|given)\b", re.IGNORECASE)
_OTHER_NAMES = re.compile(r"^(?:Other Names?|Also Known As)\s*:\s*(?P<v>.*)$", re.IGNORECASE)
_SPONSOR_ROLE = re.compile(r"^Sponsor Role\b:?\s*(?P<v>.*)$")
_RESP_ROLE = re.compile(r"^Responsibility Role\b:?\s*(?P<v>.*)$")
_REF_TYPE = re.compile(r"^Reference Type\b:?\s*(?P<v>.*)$")
_PMID = re.compile(r"^PMID\s*:?\s*(?P<v>\d+)\b.*$")
_IDENT_FIELD = re.compile(r"^Identifier (?P<k>Type|Source|Domain|Link)\b\s*:?\s*(?P<v>.*)$")
_AGE = re.compile(r"^(?P<n>\d+)\s*(?P<u>year|month|week|day|hour|minute)s?$", re.IGNORECASE)
_NO_VALUE = {"", "-", "n/a", "na", "none", "not applicable", "not provided", "no limit", "not specified"}

_PHASES = {"NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4"}
_MASKED_ROLES = {
    "participant": "PARTICIPANT",
    "care provider": "CARE_PROVIDER",
    "investigator": "INVESTIGATOR",
    "outcomes assessor": "OUTCOMES_ASSESSOR",
    "outcome assessor": "OUTCOMES_ASSESSOR",
}
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}


class _Bad(ValueError):
    """A value the reader cannot use; it goes to ``extras`` with a warning."""


def _norm(text: str) -> str:
    """Case- and whitespace-insensitive form for comparing labels and sentences."""
    return " ".join(text.split()).lower()


_SECTION_KEYS = {_norm(s): s for s in SECTIONS}
_BOILERPLATE_KEYS = {_norm(s) for s in BOILERPLATE}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def _looks_boilerplate(text: str) -> bool:
    """A one-sentence site introduction such as 'Explore related publications ... this study.'."""
    text = text.strip()
    if _norm(text) in _BOILERPLATE_KEYS:
        return True
    return (
        bool(_BOILER_START.match(text))
        and text.endswith(".")
        and len(text) <= 300
        and ". " not in text[:-1]
        and bool(_BOILER_TOPIC.search(text))
    )


def is_study_page(text: str) -> bool:
    """Cheap sniff: an ``NCT ID: NCT...`` line near the top and at least two known section headings."""
    if not isinstance(text, str):
        return False
    lines = [ln.strip() for ln in text.lstrip("\ufeff").splitlines() if ln.strip()]
    if not any(re.match(r"^NCT\s*ID\s*:\s*NCT\d+\s*$", ln, re.IGNORECASE) for ln in lines[:15]):
        return False
    return sum(1 for ln in lines if _norm(ln) in _SECTION_KEYS) >= 2


def parse_study_page(text: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Read a study page into a model-shaped dict (for :func:`~trialexport.readers.build.finalize`).

    Never raises: odd input gives whatever could be read plus diagnostics; no NCT ID line is an error.
    """
    reader = _PageReader()
    if not isinstance(text, str):
        reader.diags.append(error(CODE, f"expected page text, got {type(text).__name__}"))
        return reader.result()
    try:
        reader.read(text)
    except Exception as exc:  # a reader bug must not stop a batch
        reader.diags.append(error(CODE, f"internal error while reading the page: {type(exc).__name__}: {exc}"))
    return reader.result()


# --- value converters: text -> value, or _Bad -------------------------------------------------------------


def _enum(text: str) -> str:
    """'Non-Randomized' / 'NON_RANDOMIZED' -> 'NON_RANDOMIZED'; 'N/A' -> 'NA'."""
    if _norm(text) in ("n/a", "na", "not applicable"):
        return "NA"
    value = re.sub(r"[^A-Za-z0-9]+", "_", text.strip()).strip("_").upper()
    if not value:
        raise _Bad(f"expected a coded value, got {text!r}")
    return value


def _enum_title(code: str) -> str:
    """'DIETARY_SUPPLEMENT' -> 'Dietary Supplement' (the registry's intervention-name prefix)."""
    return " ".join(w.capitalize() for w in code.split("_"))


def _date(text: str) -> dict[str, Any]:
    """'2014-01-01', '2014-01', 'January 2014', 'Jan 1, 2014', optionally '(Actual)'/'(Estimated)' -> DateInfo."""
    raw = text.strip()
    date_type = None
    m = re.search(r"\(?\b(actual|estimated|anticipated|expected)\b\)?", raw, re.IGNORECASE)
    if m:
        date_type = "ACTUAL" if m.group(1).lower() == "actual" else "ESTIMATED"
        raw = (raw[: m.start()] + raw[m.end() :]).strip(" :,")
    value = None
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", raw):
        value = raw
    elif m2 := re.fullmatch(r"([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})", raw):
        month = _MONTHS.get(m2.group(1).lower())
        if month is not None:
            value = f"{m2.group(3)}-{month:02d}" + (f"-{int(m2.group(2)):02d}" if m2.group(2) else "")
    if value is None:
        raise _Bad(f"expected a date such as 2014-01-01, got {text!r}")
    try:
        check_partial_date(value)
    except ValueError as exc:
        raise _Bad(str(exc)) from None
    return {"date": value} if date_type is None else {"date": value, "type": date_type}


def _age(text: str) -> dict[str, Any] | None:
    if _norm(text) in _NO_VALUE:
        return None
    m = _AGE.match(text.strip())
    if not m:
        raise _Bad(f"expected an age such as '18 Years', got {text!r}")
    return {"value": int(m.group("n")), "unit": m.group("u").lower() + "s"}


def _bool(text: str) -> bool:
    key = _norm(text)
    if key in ("yes", "true", "y"):
        return True
    if key in ("no", "false", "n"):
        return False
    raise _Bad(f"expected Yes or No, got {text!r}")


def _phases(text: str) -> list[str]:
    """'PHASE1' -> ['PHASE1']; 'PHASE2, PHASE3' / 'Phase 2/Phase 3' -> ['PHASE2', 'PHASE3']; 'N/A' -> ['NA']."""
    cleaned = re.sub(r"\bN/A\b", "NA", text, flags=re.IGNORECASE)
    out = []
    for part in re.split(r"[,;/|+]|\band\b", cleaned, flags=re.IGNORECASE):
        key = re.sub(r"[^A-Z0-9]", "", part.upper())
        if not key:
            continue
        key = {"NOTAPPLICABLE": "NA", "EARLYPHASE1": "EARLY_PHASE1", "PHASE0": "EARLY_PHASE1"}.get(key, key)
        key = {"PHASEI": "PHASE1", "PHASEII": "PHASE2", "PHASEIII": "PHASE3", "PHASEIV": "PHASE4"}.get(key, key)
        if key not in _PHASES:
            raise _Bad(f"unknown phase {part.strip()!r} in {text!r}")
        if key not in out:
            out.append(key)
    if not out:
        raise _Bad(f"no phase in {text!r}")
    return out


def _enrollment(text: str) -> dict[str, Any]:
    """'16 participants' / '1,200 participants (Estimated)' -> count and (if written) type."""
    m = re.search(r"\d[\d,]*", text)
    if not m or re.search(r"\d", text[m.end() :]):
        raise _Bad(f"expected a participant count such as '16 participants', got {text!r}")
    out: dict[str, Any] = {"design.enrollment_count": int(m.group().replace(",", ""))}
    kind = re.search(r"\b(actual|estimated|anticipated)\b", text, re.IGNORECASE)
    if kind:
        out["design.enrollment_type"] = "ACTUAL" if kind.group(1).lower() == "actual" else "ESTIMATED"
    return out


def _sex(text: str) -> str:
    value = _enum(text)
    return {"BOTH": "ALL", "ALL_SEXES": "ALL", "MALES": "MALE", "FEMALES": "FEMALE"}.get(value, value)


def _agency_class(text: str) -> str:
    value = _enum(text)
    return {"OTHER_GOVERNMENT": "OTHER_GOV", "INDIVIDUAL": "INDIV", "FEDERAL": "FED"}.get(value, value)


def _text(lines: list[Line]) -> str:
    """Raw lines joined, leading/trailing blank lines dropped (paragraph breaks kept)."""
    texts = [t for _, t in lines]
    while texts and not texts[0].strip():
        texts.pop(0)
    while texts and not texts[-1].strip():
        texts.pop()
    return "\n".join(texts)


def _one(path: str, conv: Callable[[str], Any]) -> Callable[[list[str]], dict[str, Any]]:
    """A single-line field converted by ``conv`` and stored at ``path`` (``None`` stores nothing)."""

    def field(values: list[str]) -> dict[str, Any]:
        if len(values) != 1:
            raise _Bad(f"expected one value line, got {len(values)}")
        value = conv(values[0])
        return {} if value is None else {path: value}

    return field


# label (normalized) -> (multi-line?, converter of the value lines to {model path: value})
FieldSpec = dict[str, tuple[bool, Callable[[list[str]], dict[str, Any]]]]

_BASIC: FieldSpec = {
    "recruitment status": (False, _one("status.overall_status", _enum)),
    "clinical phase": (False, _one("design.phases", _phases)),
    "total enrollment": (False, lambda v: _enrollment(" ".join(v))),
    "study classification": (False, _one("design.study_type", _enum)),
    "study start date": (False, _one("status.start_date", _date)),
    "primary completion date": (False, _one("status.primary_completion_date", _date)),
    "study completion date": (False, _one("status.completion_date", _date)),
}


def _masking(values: list[str]) -> dict[str, Any]:
    """'SINGLE' then role lines ('Participants'), or 'Single (Participant, Investigator)'."""
    if not values:
        raise _Bad("no masking value")
    m = re.fullmatch(r"\s*(?P<level>[^()]+?)\s*(?:\((?P<roles>[^()]*)\))?\s*", values[0])
    if not m:
        raise _Bad(f"cannot read masking {values[0]!r}")
    level = _enum(m.group("level"))
    level = {"OPEN_LABEL": "NONE", "NONE_OPEN_LABEL": "NONE"}.get(level, level)
    out: dict[str, Any] = {"design.masking": level}
    role_texts = ([m.group("roles")] if m.group("roles") else []) + values[1:]
    roles: list[str] = []
    unknown: list[str] = []
    for chunk in role_texts:
        for part in re.split(r"[,;]|\band\b", chunk):
            key = _norm(part.replace("_", " ")).rstrip("s")
            if not key or key == "open label":
                continue
            role = _MASKED_ROLES.get(key)
            if role is None:
                unknown.append(part.strip())
            elif role not in roles:
                roles.append(role)
    if roles:
        out["design.who_masked"] = roles
    if unknown:
        out["!unknown"] = unknown
    return out


_DESIGN: FieldSpec = {
    "allocation method": (False, _one("design.allocation", _enum)),
    "intervention model": (False, _one("design.intervention_model", _enum)),
    "intervention model description": (True, lambda v: {"design.intervention_model_description": "\n".join(v)}),
    "primary study purpose": (False, _one("design.primary_purpose", _enum)),
    "observational model": (False, _one("design.observational_model", _enum)),
    "time perspective": (False, _one("design.time_perspective", _enum)),
    "blinding strategy": (True, _masking),
}

_ELIGIBILITY: FieldSpec = {
    "minimum eligible age": (False, _one("eligibility.minimum_age", _age)),
    "maximum eligible age": (False, _one("eligibility.maximum_age", _age)),
    "eligible sex": (False, _one("eligibility.sex", _sex)),
    "accepts healthy volunteers": (False, _one("eligibility.healthy_volunteers", _bool)),
    "study population": (True, lambda v: {"eligibility.study_population": "\n".join(v)}),
    "sampling method": (False, _one("eligibility.sampling_method", _enum)),
}


def _label_of(text: str, spec: FieldSpec) -> tuple[str, str | None] | None:
    """(label key, inline value or None) when ``text`` is a known label line ('Label' or 'Label: value')."""
    key = _norm(text)
    if key in spec:
        return key, None
    head, sep, rest = text.partition(":")
    if sep and _norm(head) in spec and rest.strip():
        return _norm(head), rest.strip()
    return None


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node = data
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


class _PageReader:
    """Holds the dict being built, the extras and the diagnostics of one page."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.extras: dict[str, Any] = {}
        self.diags: list[Diagnostic] = []

    def result(self) -> tuple[dict[str, Any], list[Diagnostic]]:
        """The dict (groups linked to interventions, extras attached) and the diagnostics."""
        try:
            self._link()
        except Exception as exc:  # never raise from the reader
            self.diags.append(error(CODE, f"internal error while linking groups: {type(exc).__name__}: {exc}"))
        self.data.pop("_groups", None)
        self.data.pop("_interventions", None)
        if self.extras:
            self.data["extras"] = dict(self.extras)
        return self.data, self.diags

    def warn(self, message: str, section: str, line: int | None = None) -> None:
        self.diags.append(warning(CODE, message, path=section, line=line))

    def info(self, message: str, section: str, line: int | None = None) -> None:
        self.diags.append(Diagnostic("info", CODE, message, path=section, line=line))

    def keep(self, section: str, label: str | None, value: Any, line: int | None, why: str) -> None:
        """Keep an unusable value in extras and say so."""
        key = f"page.{_slug(section)}" + (f".{_slug(label)}" if label else "")
        while key in self.extras:
            key += "_"
        self.extras[key] = value
        self.warn(f"{why}; kept in extras[{key!r}]", section, line)

    # --- structure ---------------------------------------------------------------------------------------

    def read(self, text: str) -> None:
        lines: list[Line] = [
            (i + 1, raw.rstrip())
            for i, raw in enumerate(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        ]
        if not any(t.strip() for _, t in lines):
            self.diags.append(error(CODE, "empty page: no text to read", path="NCT ID"))
            return
        starts = self._headings(lines)
        first = starts[0][0] if starts else len(lines)
        self._header(lines[:first])
        if not starts:
            self.warn("no known section heading found: is this a study page?", "page")
        seen: set[str] = set()
        for n, (idx, name) in enumerate(starts):
            end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
            body = self._strip_boilerplate(lines[idx + 1 : end], name)
            if name in seen:
                self.keep(name, None, _text(body), lines[idx][0], f"section {name!r} appears twice; second not read")
                continue
            seen.add(name)
            handler = getattr(self, "_sec_" + _slug(name), None) if name in SECTIONS else None
            if handler is None:
                self.keep(name, None, _text(body), lines[idx][0], f"unknown section {name!r} not read")
            else:
                handler(body, name)

    def _headings(self, lines: list[Line]) -> list[tuple[int, str]]:
        """(index, section name) of each heading, in page order.

        Known headings count when followed by a boilerplate sentence; a heading name found once counts even
        without it. Unknown headings are title-like lines followed by a boilerplate-like sentence.
        """
        nonblank = [i for i, (_, t) in enumerate(lines) if t.strip()]
        nxt = dict(itertools.pairwise(nonblank))
        candidates: dict[str, list[tuple[int, bool]]] = {}
        found: list[tuple[int, str]] = []
        for i in nonblank:
            text = lines[i][1].strip()
            follow = lines[nxt[i]][1].strip() if i in nxt else ""
            has_boiler = bool(follow) and _looks_boilerplate(follow)
            if _norm(text) in _SECTION_KEYS:
                candidates.setdefault(_SECTION_KEYS[_norm(text)], []).append((i, has_boiler))
            elif has_boiler and _TITLE_LIKE.match(text) and not _looks_boilerplate(text):
                found.append((i, text))
        for name, cands in candidates.items():
            with_boiler = [i for i, b in cands if b]
            for i in with_boiler or [cands[0][0]]:
                found.append((i, name))
        return sorted(found)

    def _strip_boilerplate(self, body: list[Line], section: str) -> list[Line]:
        """Drop the introductory sentence after the heading and any known site sentence."""
        out = list(body)
        first = next((k for k, (_, t) in enumerate(out) if t.strip()), None)
        if first is not None and _looks_boilerplate(out[first][1]):
            if section in SECTIONS and _norm(out[first][1]) not in _BOILERPLATE_KEYS:
                self.warn(
                    f"unfamiliar introductory sentence taken as site text, not data: {out[first][1].strip()!r}",
                    section,
                    out[first][0],
                )
            del out[first]
        return [(n, t) for n, t in out if _norm(t) not in _BOILERPLATE_KEYS]

    def _header(self, lines: list[Line]) -> None:
        title_seen = False
        nct_seen = False
        unread: list[Line] = []
        for no, raw in lines:
            text = raw.strip()
            if not text or _norm(text) in _BOILERPLATE_KEYS:
                continue
            if m := _NCT_LINE.match(text):
                nct = m.group("id")
                found = re.findall(r"\bNCT\d{8}\b", nct)
                if len(found) == 1 and found[0] != nct:
                    self.warn(f"text around the NCT ID ignored: {nct!r}", "NCT ID", no)
                    nct = found[0]
                if nct_seen:
                    self.warn(f"second NCT ID line ignored: {text!r}", "NCT ID", no)
                    continue
                nct_seen = True
                if not _NCT_ID.match(nct):
                    self.warn(f"NCT ID {nct!r} is not of the form NCT + 8 digits", "NCT ID", no)
                _set(self.data, "identification.nct_id", nct)
            elif m := _UPDATED_LINE.match(text):
                try:
                    _set(self.data, "status.last_update_posted_date", _date(m.group("date")))
                except _Bad as exc:
                    self.keep("Last Updated", None, m.group("date"), no, str(exc))
            elif not title_seen:
                title_seen = True
                _set(self.data, "identification.brief_title", text)
            else:
                unread.append((no, text))
        if unread:
            self.extras["page.header"] = [t for _, t in unread]
            self.warn(
                f"{len(unread)} line(s) before the first section not understood (first: {unread[0][1][:60]!r}); "
                "kept in extras['page.header']",
                "page",
                unread[0][0],
            )
        if not nct_seen:
            self.diags.append(error(CODE, "no 'NCT ID: NCT...' line: not a readable study page", path="NCT ID"))
        if not title_seen:
            self.warn("no title line before the sections", "page")

    def _fields(self, body: list[Line], section: str, spec: FieldSpec) -> None:
        """Read 'Label' + value line(s) pairs; unknown labels (one value line each) go to extras."""
        groups: list[tuple[str, bool, list[Line], int]] = []  # (label, known, values, line)
        for no, raw in body:
            text = raw.strip()
            if not text:
                continue
            hit = _label_of(text, spec)
            if hit is not None:
                groups.append((hit[0], True, [(no, hit[1])] if hit[1] else [], no))
                continue
            if groups:
                label, known, values, _ = groups[-1]
                if not values or (known and spec[label][0]):
                    values.append((no, text))
                    continue
            groups.append((text, False, [], no))
        for label, known, values, no in groups:
            texts = [t for _, t in values]
            if not known:
                if texts:
                    self.keep(section, label, "\n".join(texts), no, f"unknown field {label!r}")
                else:
                    self.keep(section, "unread", label, no, f"line not understood: {label[:60]!r}")
                continue
            try:
                found = spec[label][1](texts)
            except _Bad as exc:
                self.keep(section, label, "\n".join(texts), no, f"{label!r}: {exc}")
                continue
            unknown = found.pop("!unknown", None)
            if unknown:
                self.keep(section, label, unknown, no, f"{label!r}: value(s) not understood {unknown}")
            for path, value in found.items():
                _set(self.data, path, value)

    # --- sections (method name: _sec_ + slug of the heading) ------------------------------------------------

    def _sec_basic_information(self, body: list[Line], section: str) -> None:
        self._fields(body, section, _BASIC)

    def _sec_study_design(self, body: list[Line], section: str) -> None:
        self._fields(body, section, _DESIGN)

    def _sec_brief_summary(self, body: list[Line], section: str) -> None:
        if text := _text(body):
            _set(self.data, "description.brief_summary", text)

    def _sec_detailed_description(self, body: list[Line], section: str) -> None:
        if text := _text(body):
            _set(self.data, "description.detailed_description", text)

    def _sec_conditions(self, body: list[Line], section: str) -> None:
        items = [(no, t.strip()) for no, t in body if t.strip()]
        names = []
        for _, text in items:
            if text not in names:
                names.append(text)
        if names:
            _set(self.data, "conditions.conditions", names)
        if len(items) == 1 and len(items[0][1].split()) > 1:
            self.warn(
                f"conditions given on one line ({items[0][1][:60]!r}); the page format does not separate "
                "conditions, so it is kept as one condition",
                section,
                items[0][0],
            )

    def _sec_study_results(self, body: list[Line], section: str) -> None:
        text = "\n".join(t.strip() for _, t in body if t.strip())
        if not text:
            return
        self.extras["page.study_results"] = text
        if _norm(text) == "results pending":
            self.data["has_results"] = False
        else:
            self.warn(
                "study results content is not read into the model; kept in extras['page.study_results']",
                section,
                body[0][0] if body else None,
            )

    def _sec_more_related_trials(self, body: list[Line], section: str) -> None:
        ids = {m for _, t in body for m in re.findall(r"\bNCT\d{8}\b", t)}
        if any(t.strip() for _, t in body):
            self.info(
                f"list of {len(ids)} other related trial(s) shown by the site ignored: not data of this study",
                section,
                body[0][0],
            )

    def _sec_eligibility_criteria(self, body: list[Line], section: str) -> None:
        cut = next((k for k, (_, t) in enumerate(body) if t.strip() and _label_of(t.strip(), _ELIGIBILITY)), len(body))
        if criteria := _text(body[:cut]):
            _set(self.data, "eligibility.criteria_text", criteria)
        self._fields(body[cut:], section, _ELIGIBILITY)

    def _sec_sponsors(self, body: list[Line], section: str) -> None:
        pending: list[Line] = []
        for no, raw in body:
            text = raw.strip()
            if not text:
                continue
            m = _SPONSOR_ROLE.match(text)
            if not m:
                pending.append((no, text))
                continue
            if not pending:
                self.keep(section, "unread", text, no, "sponsor role without a sponsor name")
                continue
            org: dict[str, Any] = {"name": pending[0][1]}
            if len(pending) > 1:
                org["agency_class"] = _agency_class(pending[1][1])
            if len(pending) > 2:
                self.keep(
                    section,
                    org["name"],
                    [t for _, t in pending[2:]],
                    pending[2][0],
                    f"extra lines for sponsor {org['name']!r}",
                )
            role = _norm(m.group("v"))
            sponsors = self.data.setdefault("sponsors", {})
            if role in ("lead", "lead sponsor", "sponsor"):
                if "lead_sponsor" in sponsors:
                    self.keep(section, "lead", org, pending[0][0], "second lead sponsor")
                else:
                    sponsors["lead_sponsor"] = org
            elif role in ("collaborator", "collaborators"):
                sponsors.setdefault("collaborators", []).append(org)
            else:
                self.keep(section, "role", {**org, "role": m.group("v")}, no, f"unknown sponsor role {m.group('v')!r}")
            pending = []
        if pending:
            lines = [t for _, t in pending]
            self.keep(section, "unread", lines, pending[0][0], "sponsor lines without a 'Sponsor Role'")

    def _sec_responsible_party(self, body: list[Line], section: str) -> None:
        for no, raw in body:
            text = raw.strip()
            if not text:
                continue
            m = _RESP_ROLE.match(text)
            if m and m.group("v").strip():
                _set(self.data, "sponsors.responsible_party.type", _enum(m.group("v")))
            else:
                self.keep(section, "unread", text, no, f"line not understood: {text[:60]!r}")

    def _sec_references(self, body: list[Line], section: str) -> None:
        """Citation line(s), then 'Reference Type X' and/or 'PMID: N (View on PubMed)', in either order."""
        refs: list[dict[str, Any]] = []
        pending: list[str] = []  # citation lines of a reference not yet started
        for _, raw in body:
            text = raw.strip()
            if not text:
                continue
            if m := _PMID.match(text):
                key, value = "pmid", m.group("v")
            elif m := _REF_TYPE.match(text):
                if not m.group("v").strip():
                    continue  # 'Reference Type' without a value
                key, value = "type", _enum(m.group("v"))
            else:
                pending.append(text)
                continue
            if pending or not refs or key in refs[-1]:
                refs.append({"citation": " ".join(pending)} if pending else {})
                pending = []
            refs[-1][key] = value
        if pending:
            refs.append({"citation": " ".join(pending)})
        if refs:
            self.data["references"] = refs

    def _sec_other_identifiers(self, body: list[Line], section: str) -> None:
        entries: list[tuple[int, str, dict[str, str]]] = []
        for no, raw in body:
            text = raw.strip()
            if not text:
                continue
            if m := _IDENT_FIELD.match(text):
                if not entries:
                    self.keep(section, "unread", text, no, "identifier field before any identifier")
                else:
                    entries[-1][2][m.group("k").lower()] = m.group("v").strip()
            else:
                entries.append((no, text, {}))
        ident = self.data.setdefault("identification", {}) if entries else {}
        for no, id_text, fields in entries:
            id_type = fields.get("type")
            id_type = None if id_type is None or _norm(id_type) in _NO_VALUE else _enum(id_type)
            source = _norm(fields.get("source", "")).replace(" ", "_")
            is_org = source in ("org_study_id", "org_study", "organization_study_id")
            if is_org:
                if "org_study_id" in ident:
                    self.keep(section, "org_study_id", id_text, no, f"second org study id {id_text!r}")
                    continue
                entry: dict[str, Any] = {"id": id_text}
            else:
                if source not in ("secondary_id", "secondary", "secondary_ids"):
                    self.warn(
                        f"identifier {id_text!r} has source {fields.get('source')!r}: read as a secondary id",
                        section,
                        no,
                    )
                entry = {"id": id_text}
                if fields.get("domain") and _norm(fields["domain"]) not in _NO_VALUE:
                    entry["domain"] = fields["domain"]
            if id_type:
                entry["type"] = id_type
            if fields.get("link") and _norm(fields["link"]) not in _NO_VALUE:
                entry["link"] = fields["link"]
            if is_org:
                ident["org_study_id"] = entry
            else:
                ident.setdefault("secondary_ids", []).append(entry)

    # --- groups and interventions --------------------------------------------------------------------------

    def _sec_study_groups(self, body: list[Line], section: str) -> None:
        items = [(no, t.strip()) for no, t in body if t.strip()]
        groups = self._group_blocks(items, section)
        self.data["_groups"] = groups  # linked to interventions in _sec_interventions / _link

    def _group_blocks(self, items: list[Line], section: str) -> list[dict[str, Any]]:
        """Groups: label, 'Group Type X', [description], then (name, 'Intervention Type X', [description])*."""
        n = len(items)
        role = [""] * n
        for k, (_, t) in enumerate(items):
            if _GROUP_TYPE.match(t):
                role[k] = "gtype"
            elif _INTERVENTION_TYPE.match(t):
                role[k] = "itype"
            elif _NO_INTERVENTIONS.match(t):
                role[k] = "none"
        anchored = "gtype" in role
        for k in range(n):
            if role[k] in ("gtype", "itype") and k > 0 and role[k - 1] == "":
                role[k - 1] = "label" if role[k] == "gtype" else "iname"
        if items and not anchored:
            self.warn(
                "groups have no 'Group Type' lines: group labels told from descriptions by line shape",
                section,
                items[0][0],
            )
        groups: list[dict[str, Any]] = []
        cur_int: dict[str, Any] | None = None
        for k, (no, text) in enumerate(items):
            r = role[k]
            if r == "" and not anchored and (not groups or (not text.endswith(".") and len(text) <= 100)):
                r = "label"
            if r == "label":
                groups.append({"label": text, "_line": no, "_desc": [], "_ints": []})
                cur_int = None
                continue
            if not groups:
                self.keep(section, "unread", text, no, f"line before the first group label: {text[:60]!r}")
                continue
            group = groups[-1]
            if r == "gtype":
                value = _GROUP_TYPE.match(text)
                if value and value.group("v").strip():
                    group["type"] = _enum(value.group("v"))
            elif r == "iname":
                cur_int = {"name": text, "_desc": [], "_line": no}
                group["_ints"].append(cur_int)
            elif r == "itype":
                value = _INTERVENTION_TYPE.match(text)
                if cur_int is None or "type" in cur_int:
                    self.keep(section, "unread", text, no, "'Intervention Type' without an intervention name")
                elif value and value.group("v").strip():
                    cur_int["type"] = _enum(value.group("v"))
            elif r == "none":
                group["_none"] = True
                cur_int = None
            elif cur_int is not None:
                cur_int["_desc"].append(text)
            else:
                group["_desc"].append(text)
        for group in groups:
            if group.get("_none") and group["_ints"]:
                self.warn(
                    f"group {group['label']!r} says it has no interventions but lists some", section, group["_line"]
                )
        return groups

    def _sec_interventions(self, body: list[Line], section: str) -> None:
        items = [(no, t.strip()) for no, t in body if t.strip()]
        anchors = [k for k, (_, t) in enumerate(items) if _INTERVENTION_TYPE.match(t)]
        if items and not anchors:
            self.keep(section, None, [t for _, t in items], items[0][0], "no 'Intervention Type' line: not read")
            return
        # type line last ('name, description..., Intervention Type X') or right after the name
        type_last = bool(anchors) and anchors[-1] == len(items) - 1
        blocks: list[tuple[list[Line], str]] = []
        if type_last:
            start = 0
            for k in anchors:
                blocks.append((items[start:k], _INTERVENTION_TYPE.match(items[k][1]).group("v")))  # type: ignore[union-attr]
                start = k + 1
        else:
            bounds = [k - 1 for k in anchors] + [len(items)]
            if bounds[0] > 0:
                self.keep(
                    section,
                    "unread",
                    [t for _, t in items[: bounds[0]]],
                    items[0][0],
                    "lines before the first intervention",
                )
            for j, k in enumerate(anchors):
                if k == 0:
                    continue
                lines = [items[k - 1], *items[k + 1 : bounds[j + 1]]]
                blocks.append((lines, _INTERVENTION_TYPE.match(items[k][1]).group("v")))  # type: ignore[union-attr]
        interventions = []
        for lines, type_text in blocks:
            if not lines:
                self.warn("'Intervention Type' without an intervention name", section)
                continue
            entry: dict[str, Any] = {"name": lines[0][1]}
            if type_text.strip():
                entry["type"] = _enum(type_text)
            desc, others = [], []
            for _, t in lines[1:]:
                if m := _OTHER_NAMES.match(t):
                    others.extend(p.strip() for p in m.group("v").split(",") if p.strip())
                else:
                    desc.append(t)
            if desc:
                entry["description"] = "\n".join(desc)
            if others:
                entry["other_names"] = others
            entry["_line"] = lines[0][0]
            interventions.append(entry)
        self.data["_interventions"] = interventions

    def _link(self) -> None:
        """Build arms and interventions; each group's interventions link back via arm_group_labels."""
        groups = self.data.pop("_groups", None)
        listed = self.data.pop("_interventions", None)
        interventions: list[dict[str, Any]] = list(listed or [])
        arms = []
        for group in groups or []:
            arm: dict[str, Any] = {"label": group["label"]}
            if group.get("type"):
                arm["type"] = group["type"]
            if group["_desc"]:
                arm["description"] = "\n".join(group["_desc"])
            names = []
            for gi in group["_ints"]:
                gtype, desc = gi.get("type"), "\n".join(gi["_desc"]) or None
                names.append(f"{_enum_title(gtype)}: {gi['name']}" if gtype else gi["name"])
                same = [iv for iv in interventions if iv["name"] == gi["name"] and gtype in (None, iv.get("type"))]
                exact = [iv for iv in same if iv.get("description") == desc]
                target = (exact or same or [None])[0]
                if target is None:
                    if listed is not None:
                        self.warn(
                            f"intervention {gi['name']!r} of group {group['label']!r} is not listed under "
                            "Interventions: added from the group",
                            "Study Groups",
                            gi["_line"],
                        )
                    target = {"name": gi["name"], **({"type": gtype} if gtype else {})}
                    if desc:
                        target["description"] = desc
                    interventions.append(target)
                elif len(same) > 1 and len(exact) != 1:
                    self.warn(
                        f"intervention {gi['name']!r} is listed more than once: group {group['label']!r} "
                        "linked to the first",
                        "Study Groups",
                        gi["_line"],
                    )
                labels = target.setdefault("arm_group_labels", [])
                if group["label"] not in labels:
                    labels.append(group["label"])
            if names:
                arm["intervention_names"] = names
            arms.append(arm)
        for iv in interventions:
            iv.pop("_line", None)
        if arms:
            self.data["arms"] = arms
        if interventions:
            self.data["interventions"] = interventions
