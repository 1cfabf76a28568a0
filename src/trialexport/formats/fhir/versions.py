"""The FHIR versions trialexport serves (a module of its own, so implementation modules never import the family)."""

from __future__ import annotations

VERSIONS = ("r5", "r4")  # FHIR releases trialexport writes and validates
BUNDLE_TYPES = ("collection", "transaction", "batch")  # the Bundle.type values trialexport writes
LOADABLE = ("transaction", "batch")  # the types a server processes: PUT requests, may be split (split.py)
