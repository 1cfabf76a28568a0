"""Text of ``fixtures/README.md``, generated from ``fixtures/cases.csv`` and the negative findings."""

from __future__ import annotations

import csv
from pathlib import Path

INTRO = """\
# trialexport interoperability fixtures

<!-- generated from cases.csv and negative/expected-findings.tsv by `python -m trialexport.devtools generate` -->

Test data for systems that import clinical-trial registrations as **HL7 FHIR** (R5, R4) or
**CDISC ODM** (1.3.2, 2.0). Each case is a real ClinicalTrials.gov record (public domain, US
National Library of Medicine; see `../tests/data/PROVENANCE.tsv`), the reference study page, or a
hand-written trial definition, with the output trialexport produces for every format. Every
expected output passes its official schema (FHIR JSON schema + fhir.resources models; ODM XSD +
OID references): `trialexport validate fixtures/expected` proves it.

## How to use them

- **Importer tests**: load each `expected/<case>/<id>.fhir-r5.json` (or R4 / ODM) into your system
  and compare what you stored with the input record in `inputs/`.
- **Exporter tests**: convert `inputs/<file>` with your tool and diff against `expected/`.
- **Validator tests**: your validator should accept every file under `expected/` and reject every
  file under `negative/` with the findings listed below.
- Outputs are byte-for-byte deterministic: `trialexport fixtures --check` regenerates them into a
  temporary folder and compares; `trialexport fixtures --update` rewrites them.

Layout: `cases.csv` (case, input, what it exercises), `inputs/` and `NCT04318600.txt` (inputs),
`expected/<case>/<id>.{model.json,fhir-r5.json,fhir-r4.json,odm-1.3.2.xml,odm-2.0.xml}`,
`negative/` (invalid files) with `negative/expected-findings.tsv`.

## Cases
"""


def fixtures_markdown(root: Path) -> str:
    """The README for the fixture folder at ``root``."""
    lines = [INTRO, "| case | input | exercises |", "|---|---|---|"]
    with (root / "cases.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            lines.append(f"| `{row['case']}` | `{row['input']}` | {row['exercises']} |")
    lines += ["", "## Negative fixtures", "",
              "`trialexport validate fixtures/negative/<file>` must report exactly these findings:", "",
              "| file | line | code | path | message |", "|---|---|---|---|---|"]
    tsv = root / "negative" / "expected-findings.tsv"
    if tsv.exists():
        with tsv.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                cells = [row["file"], row["line"], row["code"], row["path"], row["message"]]
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
