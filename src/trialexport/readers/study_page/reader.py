"""The reader of one page: splits it into sections, reads the header, hands each section to its parser.

:class:`PageReader` holds what one page gives: the model-shaped dict, the extras and the diagnostics.
Section parsers (:mod:`.sections`, :mod:`.groups`) write into it through :meth:`PageReader.set`,
:meth:`~PageReader.keep` (unusable value -> extras + warning) and :meth:`~PageReader.warn`.
"""

from __future__ import annotations

import re
from typing import Any

from trialexport.diagnostics import Diagnostic, error, warning

from . import groups, sections
from .layout import find_headings, is_site_sentence, slug, split_lines, strip_site_sentences
from .values import Bad, Line, date, join_lines
from .vocabulary import sections as section_table

CODE = "READ-PAGE"

_NCT_LINE = re.compile(r"^\s*NCT\s*ID\s*:\s*(?P<id>\S.*?)\s*$", re.IGNORECASE)
_NCT_ID = re.compile(r"^NCT\d{8}$")
_UPDATED_LINE = re.compile(r"^\s*Last\s+Updated\s*:\s*(?P<date>.*?)\s*$", re.IGNORECASE)

#: ``handler`` column of study-page-sections.csv -> section parser (reader, body, heading)
HANDLERS = {**sections.HANDLERS, **groups.HANDLERS}


def parse_study_page(text: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Read a study page into a model-shaped dict (for :func:`~trialexport.readers.build.finalize`).

    Never raises: odd input gives whatever could be read plus diagnostics; no NCT ID line is an error.
    """
    reader = PageReader()
    if not isinstance(text, str):
        reader.diags.append(error(CODE, f"expected page text, got {type(text).__name__}"))
        return reader.result()
    try:
        reader.read(text)
    except Exception as exc:  # a reader bug must not stop a batch
        reader.diags.append(error(CODE, f"internal error while reading the page: {type(exc).__name__}: {exc}"))
    return reader.result()


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """``data["a"]["b"] = value`` for path 'a.b' (intermediate dicts created)."""
    node = data
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


class PageReader:
    """Holds the dict being built, the extras and the diagnostics of one page."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.extras: dict[str, Any] = {}
        self.diags: list[Diagnostic] = []

    def result(self) -> tuple[dict[str, Any], list[Diagnostic]]:
        """The dict (groups linked to interventions, extras attached) and the diagnostics."""
        try:
            groups.link(self)
        except Exception as exc:  # never raise from the reader
            self.diags.append(error(CODE, f"internal error while linking groups: {type(exc).__name__}: {exc}"))
        self.data.pop("_groups", None)
        self.data.pop("_interventions", None)
        if self.extras:
            self.data["extras"] = dict(self.extras)
        return self.data, self.diags

    def set(self, path: str, value: Any) -> None:
        set_path(self.data, path, value)

    def warn(self, message: str, section: str, line: int | None = None) -> None:
        self.diags.append(warning(CODE, message, path=section, line=line))

    def info(self, message: str, section: str, line: int | None = None) -> None:
        self.diags.append(Diagnostic("info", CODE, message, path=section, line=line))

    def keep(self, section: str, label: str | None, value: Any, line: int | None, why: str) -> None:
        """Keep an unusable value in extras and say so."""
        key = f"page.{slug(section)}" + (f".{slug(label)}" if label else "")
        while key in self.extras:
            key += "_"
        self.extras[key] = value
        self.warn(f"{why}; kept in extras[{key!r}]", section, line)

    def read(self, text: str) -> None:
        """Header lines, then each section (by heading) to the parser named in study-page-sections.csv."""
        lines = split_lines(text)
        if not any(t.strip() for _, t in lines):
            self.diags.append(error(CODE, "empty page: no text to read", path="NCT ID"))
            return
        starts = find_headings(lines)
        first = starts[0][0] if starts else len(lines)
        self._header(lines[:first])
        if not starts:
            self.warn("no known section heading found: is this a study page?", "page")
        known = section_table()
        seen: set[str] = set()
        for n, (idx, name) in enumerate(starts):
            end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
            body, unfamiliar = strip_site_sentences(lines[idx + 1 : end])
            if unfamiliar is not None and name in known:
                self.warn(
                    f"unfamiliar introductory sentence taken as site text, not data: {unfamiliar[1].strip()!r}",
                    name,
                    unfamiliar[0],
                )
            if name in seen:
                why = f"section {name!r} appears twice; second not read"
                self.keep(name, None, join_lines(body), lines[idx][0], why)
                continue
            seen.add(name)
            handler = HANDLERS[known[name]["handler"]] if name in known else None
            if handler is None:
                self.keep(name, None, join_lines(body), lines[idx][0], f"unknown section {name!r} not read")
            else:
                handler(self, body, name)

    def _header(self, lines: list[Line]) -> None:
        """Title line, ``NCT ID: ...`` and ``Last Updated: ...`` before the first section."""
        title_seen = False
        nct_seen = False
        unread: list[Line] = []
        for no, raw in lines:
            text = raw.strip()
            if not text or is_site_sentence(text):
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
                self.set("identification.nct_id", nct)
            elif m := _UPDATED_LINE.match(text):
                try:
                    self.set("status.last_update_posted_date", date(m.group("date")))
                except Bad as exc:
                    self.keep("Last Updated", None, m.group("date"), no, str(exc))
            elif not title_seen:
                title_seen = True
                self.set("identification.brief_title", text)
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
