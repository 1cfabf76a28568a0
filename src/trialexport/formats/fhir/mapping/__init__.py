"""Table-driven FHIR mapping: rows in ``mappings/fhir/`` say what goes where; this package is the mechanism.

- :mod:`.tables` compiles the CSV tables once per process,
- :mod:`.transforms` is the closed registry of named value transforms,
- :mod:`.engine` runs the rows of one FHIR version over a trial and assembles the resources.
"""
