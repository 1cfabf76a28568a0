"""The ODM family's named transforms (the ``transform`` column of ``mappings/odm/*.csv``).

A transform is ``fn(ctx, value, call) -> plan content | None`` (``None``: nothing to place; see
:mod:`trialexport.mapkit.transforms`); ``call.row.arg`` is the part after ``:``, ``call.row.codes`` the crosswalk.
One module per theme; importing this package registers them all in :data:`TRANSFORMS`.
"""

from __future__ import annotations

from . import content, parties  # noqa: F401 - registers the transforms
from .base import TRANSFORMS

__all__ = ["TRANSFORMS"]
