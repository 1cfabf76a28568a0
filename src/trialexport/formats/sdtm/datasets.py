"""The rows of the SDTM trial design datasets of one trial: TS from the CDISC-neutral Trial Summary
(:mod:`trialexport.cdisc.ts`), TA/TE from the arms and the element convention (``sdtm-elements.csv``), TI from the
eligibility criteria. A row is ``{variable: value}``; an absent value is ``None``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from trialexport.cdisc.context import CdiscContext
from trialexport.cdisc.ts import ts_records

from .tables import element_steps

if TYPE_CHECKING:
    from trialexport.model import Trial

Row = dict[str, Any]

#: The TS rows of the parameter table that SDTM writes: those of ODM 2.0, the version carrying every parameter.
TS_TABLE_VERSION = "2.0"
TEXT_LIMIT = 200  # SDTM character variables (SDTMIG 4.5.3: TSVAL over 200 goes on in TSVAL1, TSVAL2, ...)
_NOT_CODE = re.compile(r"[^A-Z0-9]+")


def ts_rows(ctx: CdiscContext, study: str) -> list[Row]:
    """One TS row per parameter value; TSVAL over 200 characters split into TSVAL, TSVAL1, TSVAL2, ..."""
    out = []
    for rec in ts_records(ctx, TS_TABLE_VERSION):
        v = rec.value
        row: Row = {"STUDYID": study, "DOMAIN": "TS", "TSSEQ": rec.seq, "TSGRPID": rec.group or None,
                    "TSPARMCD": rec.parmcd, "TSPARM": rec.parm}
        chunks = [v.text[i:i + TEXT_LIMIT] for i in range(0, len(v.text), TEXT_LIMIT)] or [""]
        row["TSVAL"] = chunks[0] or None
        row.update({f"TSVAL{k}": chunk for k, chunk in enumerate(chunks[1:], 1)})
        row.update({"TSVALNF": v.null_flavor or None, "TSVALCD": v.code or None, "TSVCDREF": v.reference or None,
                    "TSVCDVER": v.version or None})
        out.append(row)
    return out


def arm_codes(trial: Trial) -> list[str]:
    """ARMCD of each arm: its label in capitals and digits, at most 20 characters, made unique with a number."""
    seen: set[str] = set()
    out = []
    for n, arm in enumerate(trial.arms, 1):
        base = _NOT_CODE.sub("", arm.label.upper())[:20] or f"ARM{n}"
        code, k = base, 1
        while code in seen:
            k += 1
            code = f"{base[:20 - len(str(k))]}{k}"
        seen.add(code)
        out.append(code)
    return out


def ta_te_rows(trial: Trial, study: str) -> tuple[list[Row], list[Row]]:
    """TA (each arm through the convention's elements) and TE (each element used once)."""
    ta: list[Row] = []
    te: dict[str, Row] = {}
    for n, (arm, armcd) in enumerate(zip(trial.arms, arm_codes(trial), strict=True), 1):
        for step in element_steps():
            etcd = f"TRT{n}" if step.per_arm else step.etcd
            element = clip(arm.label) if step.per_arm else step.element
            ta.append({"STUDYID": study, "DOMAIN": "TA", "ARMCD": armcd, "ARM": clip(arm.label), "TAETORD": step.order,
                       "ETCD": etcd, "ELEMENT": element, "TABRANCH": None, "TATRANS": None, "EPOCH": step.epoch})
            te.setdefault(etcd, {"STUDYID": study, "DOMAIN": "TE", "ETCD": etcd, "ELEMENT": element,
                                 "TESTRL": step.testrl, "TEENRL": step.teenrl, "TEDUR": None})
    return ta, list(te.values())


def ti_rows(ctx: CdiscContext, study: str) -> list[Row]:
    """One TI row per criterion: INCL01.../EXCL01..., IETEST the text on one line (at most 200 characters; a longer
    criterion is cut and reported SDTM-TEXT-CLIPPED, its full text staying in the registry record)."""
    out = []
    count = {"inclusion": 0, "exclusion": 0}
    for i, crit in enumerate(ctx.trial.eligibility.criteria):
        count[crit.kind] += 1
        if len(" ".join(crit.text.split())) > TEXT_LIMIT:
            ctx.report("SDTM-TEXT-CLIPPED", "criterion longer than 200 characters: IETEST holds its first words "
                       "(SDTMIG TI: the full text stays in the protocol)", f"eligibility.criteria[{i}].text", "info")
        prefix = "INCL" if crit.kind == "inclusion" else "EXCL"
        out.append({"STUDYID": study, "DOMAIN": "TI", "IETESTCD": f"{prefix}{count[crit.kind]:02d}",
                    "IETEST": clip(" ".join(crit.text.split())), "IECAT": crit.kind.upper(),
                    "IESCAT": clip(crit.group) if crit.group else None, "TIRL": None, "TIVERS": None})
    return out


def clip(text: str) -> str:
    """``text`` within the 200-character SDTM limit: cut at the last space before it, marked with '...'."""
    if len(text) <= TEXT_LIMIT:
        return text
    cut = text[: TEXT_LIMIT - 3]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "..."
