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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialexport.diagnostics import Diagnostic
    from trialexport.model import Trial

__all__ = ["BOILERPLATE", "CODE", "READER", "SECTIONS", "is_study_page", "parse_study_page"]


class StudyPageReader:
    """A registry study page saved as text."""

    name = "page"
    title = "ClinicalTrials.gov study page saved as text"
    shape = "text"

    def claims(self, value: Any) -> bool:
        from .layout import is_study_page

        return isinstance(value, str) and is_study_page(value)

    def record_id(self, value: Any) -> str | None:
        return None  # named by its position; the study id is added once the trial is read

    def read(self, value: Any, text: str | None) -> tuple[Trial | None, list[Diagnostic]]:
        from ..build import finalize
        from .reader import parse_study_page

        data, diags = parse_study_page(value)
        if any(d.is_error for d in diags):
            return None, diags
        trial, more = finalize(data, strict=False)
        return trial, diags + more


READER = StudyPageReader()


def __getattr__(name: str) -> Any:
    """The page parser and its vocabulary, imported on first use: ``parse_study_page``, ``is_study_page``,
    ``CODE``, ``SECTIONS`` (headings) and ``BOILERPLATE`` (site sentences, from study-page-sections.csv)."""
    from importlib import import_module

    if name in ("parse_study_page", "CODE"):
        return getattr(import_module(f"{__name__}.reader"), name)
    if name == "is_study_page":
        return import_module(f"{__name__}.layout").is_study_page
    if name in ("SECTIONS", "BOILERPLATE"):
        vocabulary = import_module(f"{__name__}.vocabulary")
        return tuple(vocabulary.sections()) if name == "SECTIONS" else vocabulary.site_sentences()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
