"""The FHIR family's named transforms (the ``transform`` column of ``mappings/fhir/*.csv``).

A transform is ``fn(ctx, value, call) -> FHIR JSON | None`` (``None``: nothing to place; see
:mod:`trialexport.mapkit.transforms`). ``call.row.arg`` is the part after ``:`` (e.g. the crosswalk of
``codeable:phase``), ``call.row.codes`` the row's ``codes`` cell (a ``codes.csv`` name, a constant or a role).
Transforms return plain dicts in the R5 shape; the tables say where they go per version. One module per theme;
importing this package registers them all in :data:`TRANSFORMS`.
"""

from __future__ import annotations

from . import artifacts, eligibility, identity, parties, protocol  # noqa: F401 - registers the transforms
from .base import TRANSFORMS, concept, fixed_concept
from .protocol import duration

__all__ = ["TRANSFORMS", "concept", "duration", "fixed_concept"]
