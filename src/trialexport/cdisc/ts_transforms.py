"""The named transforms of ``mappings/cdisc/ts-parameters.csv``: a model value -> TS values (:class:`TSValue`).

One signature, ``fn(ctx, value, call) -> TSValue | list[TSValue] | None`` (:mod:`trialexport.mapkit.transforms`);
``call.row`` is the compiled TS row (``arg``, ``codes``, ``reference``). A registry value with no CDISC term is never
passed off as one: it gives the null flavour OTH and is kept as the registry value (reported MAP-TEXT-ONLY, or
MAP-UNKNOWN-CODE for a value the crosswalk does not list).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from trialexport.mapkit.countries import alpha2_by_name
from trialexport.mapkit.durations import iso_duration, latest_point
from trialexport.mapkit.tables import load_table
from trialexport.mapkit.transforms import Call, TransformRegistry
from trialexport.mapkit.values import phone_text

from . import terminology
from .context import CdiscContext as Ctx

TRANSFORMS = TransformRegistry("cdisc")
transform = TRANSFORMS.register


@dataclass(frozen=True, slots=True)
class TSValue:
    """TSVAL / TSVALNF / TSVALCD with its reference terminology (TSVCDREF, TSVCDVER, ODM 2.0 Coding system)."""

    text: str = ""  # TSVAL
    null_flavor: str = ""  # TSVALNF (ISO 21090)
    code: str = ""  # TSVALCD
    reference: str = ""  # TSVCDREF
    version: str = ""  # TSVCDVER
    system: str = ""  # ODM 2.0 Coding/@System of the code ("" = no Coding)
    system_name: str = ""
    registry: str = ""  # the registry value when it has no CDISC term (OTH)


def referenced(text: str, name: str, code: str = "") -> TSValue:
    """A value of the reference terminology ``name`` (``terminology.csv``)."""
    ref = terminology.reference(name)
    return TSValue(text, "", code, ref.name, ref.version if code else "", ref.system if code else "",
                   ref.system_name if code else "")


def outside_ct(value: str) -> TSValue:
    """A registry value with no CDISC term: null flavour OTH, the registry value kept beside it."""
    return TSValue(null_flavor="OTH", registry=value)


def coded_value(ctx: Ctx, table: str, value: str, path: str, quiet: bool = False,
                registry: bool = True) -> TSValue | None:
    """The CDISC term of a registry value through a crosswalk (TSVCDREF CDISC CT); a sponsor extension value (no
    C-code) as text; a value with no term: OTH (``quiet``: ``None``, for parameters that only some values have).
    The registry value is kept beside the term (``registry``: it is one; ODM 2.0 Coding, 1.3.2 REGVAL), so a
    many-to-one crosswalk (TRIPLE and QUADRUPLE are DOUBLE BLIND) loses nothing."""
    found = ctx.code(table, value, path)
    if found is not None and found.cdisc:
        term = referenced(found.cdisc, "cdisc", found.nci) if found.nci else TSValue(found.cdisc)
        return replace(term, registry=value) if registry else term
    if quiet:
        return None
    if found is not None:
        ctx.report("MAP-TEXT-ONLY", f"registry value {value!r} has no CDISC term ({found.note or 'no CDISC term'}): "
                   "TS null flavour OTH", path, "info")
    return outside_ct(value)


@transform("text")
def text(ctx: Ctx, value: Any, call: Call) -> TSValue:
    """The value as text."""
    return TSValue(ctx.text(value, call.path))


@transform("integer")
def integer(ctx: Ctx, value: Any, call: Call) -> TSValue:
    """A whole number."""
    return TSValue(str(int(value)))


@transform("count")
def count(ctx: Ctx, value: list[Any], call: Call) -> TSValue:
    """How many items the list has."""
    return TSValue(str(len(value)))


@transform("coded")
def coded(ctx: Ctx, value: str, call: Call) -> TSValue | None:
    """The CDISC term of the registry value (``codes``)."""
    return coded_value(ctx, call.row.codes, value, call.path)


@transform("coded_known")
def coded_known(ctx: Ctx, value: str, call: Call) -> TSValue | None:
    """The CDISC term of the registry value, or no value at all when the crosswalk gives none."""
    return coded_value(ctx, call.row.codes, value, call.path, quiet=True)


@transform("coded_distinct", aggregate=True)
def coded_distinct(ctx: Ctx, value: list[str], call: Call) -> list[TSValue]:
    """The CDISC terms of the registry values, each once."""
    found = [coded_value(ctx, call.row.codes, v, f"{call.path.removesuffix('[]')}[{i}]") for i, v in enumerate(value)]
    return list(dict.fromkeys(v for v in found if v is not None))


@transform("coded_constant")
def coded_constant(ctx: Ctx, value: Any, call: Call) -> TSValue | None:
    """The CDISC term of the argument (a registry value such as ``NA``: not the record's, so not kept)."""
    return coded_value(ctx, call.row.codes, call.row.arg, call.path, registry=False)


@transform("boolean")
def boolean(ctx: Ctx, value: bool, call: Call) -> TSValue | None:
    """Y / N (NY codelist)."""
    return coded_value(ctx, call.row.codes, "true" if value else "false", call.path)


@transform("phase", aggregate=True)
def phase(ctx: Ctx, value: list[str], call: Call) -> TSValue | None:
    """The phases array joined (``PHASE1|PHASE2``), then coded."""
    return coded_value(ctx, call.row.codes, "|".join(value), "design.phases")


@transform("study_type")
def study_type(ctx: Ctx, value: tuple[str, bool | None], call: Call) -> TSValue | None:
    """The study type; a patient registry gives the crosswalk pseudo value of the argument."""
    kind, registry = value
    if registry:
        ctx.carried.add("design.patient_registry")  # PATIENT REGISTRY says so; a false flag is not carried
    return coded_value(ctx, call.row.codes, call.row.arg if registry and call.row.arg else kind, call.path)


@transform("null_flavor")
def null_flavor(ctx: Ctx, value: Any, call: Call) -> TSValue:
    """No value: the ISO 21090 null flavour of the argument."""
    return TSValue(null_flavor=call.row.arg)


_COMPARATORS = ("PLACEBO_COMPARATOR", "ACTIVE_COMPARATOR", "SHAM_COMPARATOR", "NO_INTERVENTION")


@transform("control_type", aggregate=True)
def control_type(ctx: Ctx, value: list[str], call: Call) -> list[TSValue]:
    """The control types of the comparator arms, each once; a trial whose arms are all experimental (or that has a
    single arm) is uncontrolled (pseudo value UNCONTROLLED); otherwise (e.g. OTHER arms) nothing is claimed."""
    found = [coded_value(ctx, call.row.codes, t, "arms[].type") for t in value if t in _COMPARATORS]
    if found:
        return list(dict.fromkeys(v for v in found if v is not None))
    if len(ctx.trial.arms) == 1 or (value and all(t == "EXPERIMENTAL" for t in value)):
        single = coded_value(ctx, call.row.codes, "UNCONTROLLED", "arms[].type", registry=False)
        return [single] if single else []
    return []


def _arm_roles(arms: list[dict[str, str]]) -> dict[str, str]:
    """``{arm label: experimental | comparator | other}``."""
    roles = {}
    for arm in arms:
        kind = arm.get("type", "")
        roles[arm.get("label", "")] = ("experimental" if kind == "EXPERIMENTAL" else
                                       "comparator" if kind in _COMPARATORS[:3] else "other")
    return roles


def treatment_role(intervention: dict[str, Any], arms: list[dict[str, str]]) -> str | None:
    """Whether an intervention is ``experimental`` (TRT), ``comparator`` (COMPTRT) or ``background`` (given in both:
    CURTRT), from the types of the arms it belongs to; ``None`` when the arms do not say."""
    roles = _arm_roles(arms)
    if "comparator" not in roles.values() and (len(arms) == 1 or set(roles.values()) == {"experimental"}):
        return "experimental"  # uncontrolled: every intervention is investigational
    mine = {roles.get(label) for label in intervention.get("arm_group_labels", [])}
    if "experimental" in mine:
        return "background" if "comparator" in mine else "experimental"
    return "comparator" if "comparator" in mine else None


@transform("treatments")
def treatments(ctx: Ctx, value: tuple[dict[str, Any], list[dict[str, str]] | None], call: Call) -> TSValue | None:
    """The intervention's name when its role (by arm type) is the argument."""
    intervention, arms = value
    if not intervention or not arms or treatment_role(intervention, arms) != call.row.arg:
        return None
    return TSValue(ctx.text(intervention["name"], f"{call.path}.name"))


@transform("addon", aggregate=True)
def addon(ctx: Ctx, value: tuple[list[dict[str, Any]], list[dict[str, str]] | None], call: Call) -> TSValue | None:
    """Y when an intervention is given in every experimental and comparator arm (the investigational treatment is
    added on to it), N when none is; nothing unless the trial has both kinds of arm and links interventions to them."""
    interventions, arms = value
    roles = _arm_roles(arms or [])
    needed = {label for label, role in roles.items() if role in ("experimental", "comparator")}
    linked = any(i.get("arm_group_labels") for i in interventions)
    if {"experimental", "comparator"} - set(roles.values()) or not linked:
        return None
    shared = any(needed <= set(i.get("arm_group_labels", [])) for i in interventions)
    return coded_value(ctx, call.row.codes, "true" if shared else "false", "interventions", registry=False)


@transform("iso_duration")
def duration(ctx: Ctx, value: dict[str, Any], call: Call) -> TSValue:
    """An age limit as an ISO 8601 duration (``P18Y``)."""
    return referenced(iso_duration(value["value"], value["unit"]), "iso8601")


@transform("text_duration")
def text_duration(ctx: Ctx, value: str, call: Call) -> TSValue | None:
    """A registry duration text (``5 Years``) as an ISO 8601 duration (``P5Y``); text that is not one amount of a
    unit is reported and left out (TS durations are ISO 8601)."""
    point = latest_point(value)
    if point is None or len(value.split()) != 2:
        ctx.report("MAP-TEXT-ONLY", f"duration {value!r} is not one amount of a time unit: no ISO 8601 duration",
                   call.path, "info")
        return None
    return referenced(iso_duration(*point), "iso8601")


@cache
def _status_dates() -> dict[str, dict[str, str]]:
    return {r["ctgov"]: r for r in load_table("cdisc", "ongoing.csv")}


@transform("study_date")
def study_date(ctx: Ctx, value: dict[str, str], call: Call) -> TSValue:
    """SSTDTC / SENDTC: an actual date of a study that enrolled; NA for a study that never enrolled (withdrawn, or an
    actual enrolment of 0); NAV for an estimated date (known once it happens). A date without type (older records)
    is actual when the status says the event has happened (``ongoing.csv`` column named by the argument)."""
    status, design = ctx.trial.status, ctx.trial.design
    if status.overall_status == "WITHDRAWN" or (design.enrollment_type == "ACTUAL" and design.enrollment_count == 0):
        return TSValue(null_flavor="NA")
    happened = _status_dates().get(status.overall_status or "", {}).get(call.row.arg) == "Y"
    if value.get("type") == "ACTUAL" or (not value.get("type") and happened):
        return referenced(value["date"], "iso8601")
    return TSValue(null_flavor="NAV")


@transform("registry_id")
def registry_id(ctx: Ctx, value: str, call: Call) -> TSValue:
    """The registry's own number (TSVALCD the number in the registry of ``reference``)."""
    return referenced(ctx.text(value, call.path), call.row.reference, value)


@cache
def _registries() -> dict[str, str]:
    return {r["type"]: r["registry"] for r in load_table("cdisc", "registries.csv")}


@transform("secondary_registry_id")
def secondary_registry_id(ctx: Ctx, value: dict[str, str], call: Call) -> TSValue | None:
    """A secondary id that is a registry number: TSVCDREF names the registry (``registries.csv``)."""
    registry = _registries().get(value.get("type", ""))
    if registry == "domain":
        registry = value.get("domain", "")
    if not registry or not value.get("id"):
        return None
    number = ctx.text(value["id"], f"{call.path}.id")
    return TSValue(number, code=number, reference=ctx.text(registry, f"{call.path}.domain"))


@transform("condition")
def condition(ctx: Ctx, value: tuple[str, list[dict[str, str]] | None], call: Call) -> TSValue:
    """A condition; coded with the registry-derived MeSH descriptor spelled the same, if any."""
    name, meshes = value
    hit = next((m for m in meshes or [] if m["term"].casefold() == name.casefold()), None)
    text_ = ctx.text(name, call.path)
    return referenced(text_, "mesh", hit["id"]) if hit else TSValue(text_)


@transform("contact_role")
def contact_role(ctx: Ctx, value: dict[str, Any], call: Call) -> TSValue | None:
    """A central contact's role by its position (``contact_role.csv``)."""
    return coded_value(ctx, call.row.codes, str(call.idx[0] + 1), f"{call.path}.role", registry=False)


@transform("phone")
def phone(ctx: Ctx, value: dict[str, str], call: Call) -> TSValue | None:
    """A phone number with its extension."""
    found = phone_text(value.get("phone"), value.get("phone_ext"))
    return TSValue(ctx.text(found, f"{call.path}.phone")) if found else None


@transform("country", aggregate=True)
def country(ctx: Ctx, value: list[str], call: Call) -> list[TSValue]:
    """ISO 3166-1 alpha-3 codes of the site countries, each once; an unknown name: OTH (MAP-UNKNOWN-CODE)."""
    out: list[TSValue] = []
    for i, name in enumerate(value):
        code = terminology.alpha3().get(alpha2_by_name().get(name, ""))
        if code:
            out.append(referenced(code, call.row.reference))
        else:
            ctx.report("MAP-UNKNOWN-CODE", f"country {name!r} is not in mappings/cdisc/countries.csv: TS null flavour "
                       "OTH", f"locations[{i}].country")
            out.append(outside_ct(name))
    return list(dict.fromkeys(out))
