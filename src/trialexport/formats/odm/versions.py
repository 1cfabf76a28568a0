"""The ODM versions trialexport serves (a module of its own, so implementation modules never import the family)."""

from __future__ import annotations

VERSIONS = ("1.3.2", "2.0")  # ODM releases trialexport writes and validates
