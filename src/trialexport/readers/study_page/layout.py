"""Page layout: lines, section headings and the site's sentences (not data).

A heading ("Basic Information") is followed by one site sentence ("Get a concise snapshot of the
trial, ..."). Known headings and sentences are in ``study-page-sections.csv``; an unknown heading is a
title-like line followed by a sentence that looks like the site's (:func:`looks_like_site_sentence`).
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from .values import Line
from .vocabulary import alternation, norm, page_words, section_keys, site_sentence_keys

_TITLE_WORD = r"(?:[A-Z][A-Za-z'’&/-]*|and|or|of|the|for|to|in|on|with|&)"
_TITLE_LIKE = re.compile(rf"^[A-Z][A-Za-z'’&/-]*(?: {_TITLE_WORD}){{0,5}}$")


@cache
def _sentence_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(first word, topic word) of a site sentence (study-page-values.csv, intro_first_word / intro_topic)."""
    return (
        re.compile(rf"^({alternation(page_words('intro_first_word'))})\b"),
        re.compile(rf"\b({alternation(page_words('intro_topic'))})\b", re.IGNORECASE),
    )


def slug(text: str) -> str:
    """'Basic Information' -> 'basic_information' (extras keys)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def split_lines(text: str) -> list[Line]:
    """Numbered lines (any line ending; BOM dropped; trailing whitespace stripped)."""
    return [
        (i + 1, raw.rstrip())
        for i, raw in enumerate(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    ]


def is_site_sentence(text: str) -> bool:
    """One of the site's known sentences (study-page-sections.csv, ``sentence``)."""
    return norm(text) in site_sentence_keys()


def looks_like_site_sentence(text: str) -> bool:
    """A known site sentence, or one sentence shaped like them ('Explore related publications ... this study.')."""
    text = text.strip()
    if is_site_sentence(text):
        return True
    first_word, topic = _sentence_patterns()
    return (
        bool(first_word.match(text))
        and text.endswith(".")
        and len(text) <= 300
        and ". " not in text[:-1]
        and bool(topic.search(text))
    )


def is_study_page(text: str) -> bool:
    """Cheap sniff: an ``NCT ID: NCT...`` line near the top and at least two known section headings."""
    if not isinstance(text, str):
        return False
    lines = [ln.strip() for ln in text.lstrip("\ufeff").splitlines() if ln.strip()]
    if not any(re.match(r"^NCT\s*ID\s*:\s*NCT\d+\s*$", ln, re.IGNORECASE) for ln in lines[:15]):
        return False
    keys = section_keys()
    return sum(1 for ln in lines if norm(ln) in keys) >= 2


def find_headings(lines: list[Line]) -> list[tuple[int, str]]:
    """(index, section name) of each heading, in page order.

    Known headings count when followed by a site sentence; a heading name found once counts even
    without it. Unknown headings are title-like lines followed by a sentence shaped like the site's.
    """
    keys = section_keys()
    nonblank = [i for i, (_, t) in enumerate(lines) if t.strip()]
    nxt = dict(itertools.pairwise(nonblank))
    candidates: dict[str, list[tuple[int, bool]]] = {}
    found: list[tuple[int, str]] = []
    for i in nonblank:
        text = lines[i][1].strip()
        follow = lines[nxt[i]][1].strip() if i in nxt else ""
        has_sentence = bool(follow) and looks_like_site_sentence(follow)
        if norm(text) in keys:
            candidates.setdefault(keys[norm(text)], []).append((i, has_sentence))
        elif has_sentence and _TITLE_LIKE.match(text) and not looks_like_site_sentence(text):
            found.append((i, text))
    for name, cands in candidates.items():
        with_sentence = [i for i, b in cands if b]
        for i in with_sentence or [cands[0][0]]:
            found.append((i, name))
    return sorted(found)


def strip_site_sentences(body: list[Line]) -> tuple[list[Line], Line | None]:
    """``body`` without its introductory sentence and any known site sentence, and the dropped
    introduction when it is not a known sentence (the caller may say so)."""
    out = list(body)
    unfamiliar = None
    first = next((k for k, (_, t) in enumerate(out) if t.strip()), None)
    if first is not None and looks_like_site_sentence(out[first][1]):
        if not is_site_sentence(out[first][1]):
            unfamiliar = out[first]
        del out[first]
    return [(n, t) for n, t in out if not is_site_sentence(t)], unfamiliar
