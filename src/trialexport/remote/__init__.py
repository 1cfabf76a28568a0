"""Talking to real systems: the ClinicalTrials.gov API v2 (:mod:`.ctgov`) and FHIR servers (:mod:`.fhir_server`),
over one polite HTTP client (:mod:`.http`: timeouts, retries with backoff honouring ``Retry-After``, a rate limit, a
User-Agent naming the tool). httpx is imported only when a command talks to the network."""
