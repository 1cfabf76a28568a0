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

The page's words (headings, site sentences, field labels, value synonyms) are the tables
``mappings/readers/study-page-*.csv``; this package is the mechanism:

- :mod:`.vocabulary`: loads those tables (and the crosswalks they rely on), once;
- :mod:`.layout`: lines, section headings, site sentences; :func:`is_study_page`;
- :mod:`.values`: one field's text -> model value (codes, dates, ages, phases, masking, ...);
- :mod:`.reader`: :func:`parse_study_page`, the page header, dispatch of sections to parsers;
- :mod:`.sections`: the section parsers; :mod:`.groups`: Study Groups, Interventions and their links.
"""

from __future__ import annotations

from typing import Any

from .layout import is_study_page
from .reader import CODE, parse_study_page

__all__ = ["BOILERPLATE", "CODE", "SECTIONS", "is_study_page", "parse_study_page"]


def __getattr__(name: str) -> Any:
    """``SECTIONS`` (headings) and ``BOILERPLATE`` (site sentences), read from study-page-sections.csv."""
    from . import vocabulary

    if name == "SECTIONS":
        return tuple(vocabulary.sections())
    if name == "BOILERPLATE":
        return vocabulary.site_sentences()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
