"""Build and serialize the SDTM trial design datasets of one trial as Dataset-JSON 1.1 documents (one per domain)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from trialexport.cdisc.context import CdiscContext
from trialexport.formats.base import Built, Parts
from trialexport.mapkit.values import file_datetime, source_date_epoch

from .datasets import Row, ta_te_rows, ti_rows, ts_rows
from .define import define
from .define import serialize as define_bytes
from .tables import DOMAINS, Variable, variables

if TYPE_CHECKING:
    from trialexport.formats.base import Options
    from trialexport.model import Trial

DATASET_JSON_VERSION = "1.1.0"
DATASET_FILES = tuple(f"{d.lower()}.json" for d in DOMAINS)
METADATA_VERSION = "MDV.SDTMIG.3.4"
#: The model paths TA/TE/TI read (TS reports its own through the context).
_OWN_SOURCES = frozenset({"arms[].label", "eligibility.criteria[].text", "eligibility.criteria[].kind",
                          "eligibility.criteria[].group"})


def created(trial: Trial, options: Options) -> str:
    """datasetJSONCreationDateTime: SOURCE_DATE_EPOCH (the option, then the environment) if set, else the record's
    last update date at midnight (the ODM CreationDateTime decision: same record, same bytes; never the wall
    clock); with neither, 1970-01-01."""
    date = trial.status.last_update_submitted_date if trial.status else None
    return file_datetime(source_date_epoch(options.source_date_epoch), date if date and len(date) == 10 else None)


def columns(domain: str, rows: list[Row]) -> list[Variable]:
    """The domain's variables, with TSVAL1, TSVAL2, ... after TSVAL when a row needs them."""
    out = list(variables(domain))
    extra = sorted({k for r in rows for k in r if k.startswith("TSVAL") and k[5:].isdigit()}, key=lambda k: int(k[5:]))
    if extra:
        at = next(i for i, v in enumerate(out) if v.name == "TSVAL") + 1
        base = out[at - 1]
        out[at:at] = [Variable(domain, k, f"Parameter Value {k[5:]}", "string", base.max_length, None, "")
                      for k in extra]
    return out


def dataset(domain: str, rows: list[Row], study: str, when: str) -> dict[str, Any]:
    """One Dataset-JSON 1.1 document."""
    cols = columns(domain, rows)
    meta = []
    for v in cols:
        col: dict[str, Any] = {"itemOID": f"IT.{domain}.{v.name}", "name": v.name, "label": v.label,
                               "dataType": v.type}
        if v.type == "string":
            col["length"] = max([len(r[v.name]) for r in rows if r.get(v.name)] or [1])
        if v.key is not None:
            col["keySequence"] = v.key
        meta.append(col)
    return {"datasetJSONCreationDateTime": when, "datasetJSONVersion": DATASET_JSON_VERSION,
            "fileOID": f"{study}/{domain.lower()}", "dbLastModifiedDateTime": when, "originator": "trialexport",
            "studyOID": study, "metaDataVersionOID": METADATA_VERSION, "itemGroupOID": f"IG.{domain}",
            "metaDataRef": "define.xml", "records": len(rows), "name": domain, "label": DOMAINS[domain],
            "columns": meta,
            "rows": [[r.get(v.name) for v in cols] for r in rows]}


def build(trial: Trial, options: Options) -> Built:
    """The TS, TA, TE and TI documents (in that order) and what the mapping noticed."""
    ctx = CdiscContext(trial=trial, data={})
    study = trial.study_id or "STUDY"
    ta, te = ta_te_rows(trial, study)
    rows = {"TS": ts_rows(ctx, study), "TA": ta, "TE": te, "TI": ti_rows(ctx, study)}
    when = created(trial, options)
    datasets = [dataset(d, rows[d], study, when) for d in DOMAINS]
    title = trial.identification.official_title or trial.identification.brief_title or study
    docs = Parts([*datasets, define(datasets, DATASET_FILES, study, title, when, METADATA_VERSION)])
    return Built(docs, ctx.diagnostics, frozenset(ctx.carried) | _OWN_SOURCES)


def serialize(doc: Any) -> bytes:
    """Deterministic bytes: a dataset in its key order, 2-space indent, UTF-8, trailing newline; define.xml."""
    if not isinstance(doc, dict):
        return define_bytes(doc)
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
