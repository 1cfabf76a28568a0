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

from .headings import Heading, Note, heading, unescape
from .parser import parse_criteria

__all__ = ["Heading", "Note", "heading", "parse_criteria", "unescape"]
