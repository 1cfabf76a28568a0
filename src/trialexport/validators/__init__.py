"""Validators for trialexport outputs: FHIR R5/R4 JSON (``fhir``), CDISC ODM XML (``odm``) and a hardened XML parser
(``xmlsafe``). Schemas are vendored under ``schemas/`` and compiled lazily, once per process."""
