"""The SDTM trial design tables: the variables of each dataset (``mappings/cdisc/sdtm-variables.csv``) and the TA/TE
element convention (``mappings/cdisc/sdtm-elements.csv``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from trialexport.mapkit.tables import load_table

#: Dataset name -> label (SDTMIG), in the order the files are written.
DOMAINS: dict[str, str] = {"TS": "Trial Summary", "TA": "Trial Arms", "TE": "Trial Elements",
                           "TI": "Trial Inclusion/Exclusion Criteria"}


@dataclass(frozen=True, slots=True)
class Variable:
    """One column of an SDTM dataset."""

    domain: str
    name: str
    label: str
    type: str  # Dataset-JSON dataType
    max_length: int | None
    key: int | None
    codelist: str


@dataclass(frozen=True, slots=True)
class ElementStep:
    """One step of the TA/TE convention."""

    order: int
    per_arm: bool
    etcd: str
    element: str
    epoch: str
    testrl: str
    teenrl: str


@cache
def variables(domain: str) -> tuple[Variable, ...]:
    """The variables of ``domain`` in dataset order."""
    return tuple(Variable(r["domain"], r["name"], r["label"], r["type"],
                          int(r["max_length"]) if r["max_length"] else None, int(r["key"]) if r["key"] else None,
                          r["codelist"])
                 for r in load_table("cdisc", "sdtm-variables.csv") if r["domain"] == domain)


@cache
def element_steps() -> tuple[ElementStep, ...]:
    """The screening / treatment-per-arm / follow-up frame, in TAETORD order."""
    return tuple(ElementStep(int(r["order"]), r["scope"] == "arm", r["etcd"], r["element"], r["epoch"], r["testrl"],
                             r["teenrl"]) for r in load_table("cdisc", "sdtm-elements.csv"))


@cache
def not_carried() -> dict[str, str]:
    """Why a model field (or subtree) is deliberately not carried by the SDTM datasets (``sdtm-not-carried.csv``)."""
    return {r["model"]: r["reason"] for r in load_table("cdisc", "sdtm-not-carried.csv")}
