"""Reading FHIR R5 / R4 Bundles (ours and other ResearchStudy Bundles) back into the trial model.

:mod:`.index` resolves references and brings an R4 ResearchStudy to the R5 shape (cross-version extensions back
to elements); :mod:`.study`, :mod:`.people` and :mod:`.protocol` read the model's sections from it. The mapping
tables are read backwards where they hold the knowledge (crosswalks, codes, the order of the design rows).
"""
