"""Study Groups and Interventions, and linking them: arms, interventions and ``arm_group_labels``.

A group block: label, 'Group Type X', [description], then per intervention: name,
'Intervention Type X', [description]. The Interventions section lists each intervention once
(name, 'Intervention Type X', description, 'Other Names: ...'); :func:`link` joins both by name.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from .sections import same_line
from .values import Line, code, code_title
from .vocabulary import alternation, heading_of, page_words

if TYPE_CHECKING:
    from .reader import PageReader


@cache
def _no_interventions() -> re.Pattern[str]:
    """'No interventions assigned' (study-page-values.csv, no_interventions)."""
    return re.compile(rf"^(?:{alternation(page_words('no_interventions'))})\b", re.IGNORECASE)


@cache
def _other_names(section: str) -> re.Pattern[str]:
    """'Other Names: A, B' (any case)."""
    shape = r"\s*:\s*(?P<v>.*)"
    return re.compile(same_line(section, "interventions[].other_names", shape).pattern, re.IGNORECASE)


def study_groups(page: PageReader, body: list[Line], section: str) -> None:
    items = [(no, t.strip()) for no, t in body if t.strip()]
    page.data["_groups"] = _group_blocks(page, items, section)  # linked to interventions in link()


def _group_blocks(page: PageReader, items: list[Line], section: str) -> list[dict[str, Any]]:
    """Groups: label, 'Group Type X', [description], then (name, 'Intervention Type X', [description])*."""
    group_type = same_line(section, "arms[].type")
    intervention_type = same_line(section, "interventions[].type")
    no_interventions = _no_interventions()
    n = len(items)
    role = [""] * n
    for k, (_, t) in enumerate(items):
        if group_type.match(t):
            role[k] = "gtype"
        elif intervention_type.match(t):
            role[k] = "itype"
        elif no_interventions.match(t):
            role[k] = "none"
    anchored = "gtype" in role
    for k in range(n):
        if role[k] in ("gtype", "itype") and k > 0 and role[k - 1] == "":
            role[k - 1] = "label" if role[k] == "gtype" else "iname"
    if items and not anchored:
        page.warn(
            "groups have no 'Group Type' lines: group labels told from descriptions by line shape",
            section,
            items[0][0],
        )
    groups: list[dict[str, Any]] = []
    cur_int: dict[str, Any] | None = None
    for k, (no, text) in enumerate(items):
        r = role[k]
        if r == "" and not anchored and (not groups or (not text.endswith(".") and len(text) <= 100)):
            r = "label"
        if r == "label":
            groups.append({"label": text, "_line": no, "_desc": [], "_ints": []})
            cur_int = None
            continue
        if not groups:
            page.keep(section, "unread", text, no, f"line before the first group label: {text[:60]!r}")
            continue
        group = groups[-1]
        if r == "gtype":
            value = group_type.match(text)
            if value and value.group("v").strip():
                group["type"] = code(value.group("v"))
        elif r == "iname":
            cur_int = {"name": text, "_desc": [], "_line": no}
            group["_ints"].append(cur_int)
        elif r == "itype":
            value = intervention_type.match(text)
            if cur_int is None or "type" in cur_int:
                page.keep(section, "unread", text, no, "'Intervention Type' without an intervention name")
            elif value and value.group("v").strip():
                cur_int["type"] = code(value.group("v"))
        elif r == "none":
            group["_none"] = True
            cur_int = None
        elif cur_int is not None:
            cur_int["_desc"].append(text)
        else:
            group["_desc"].append(text)
    for group in groups:
        if group.get("_none") and group["_ints"]:
            page.warn(f"group {group['label']!r} says it has no interventions but lists some", section, group["_line"])
    return groups


def interventions(page: PageReader, body: list[Line], section: str) -> None:
    intervention_type = same_line(section, "interventions[].type")
    other_names = _other_names(section)
    items = [(no, t.strip()) for no, t in body if t.strip()]
    anchors = [k for k, (_, t) in enumerate(items) if intervention_type.match(t)]
    if items and not anchors:
        page.keep(section, None, [t for _, t in items], items[0][0], "no 'Intervention Type' line: not read")
        return
    # type line last ('name, description..., Intervention Type X') or right after the name
    type_last = bool(anchors) and anchors[-1] == len(items) - 1
    blocks: list[tuple[list[Line], str]] = []
    if type_last:
        start = 0
        for k in anchors:
            blocks.append((items[start:k], intervention_type.match(items[k][1]).group("v")))  # type: ignore[union-attr]
            start = k + 1
    else:
        bounds = [k - 1 for k in anchors] + [len(items)]
        if bounds[0] > 0:
            page.keep(
                section,
                "unread",
                [t for _, t in items[: bounds[0]]],
                items[0][0],
                "lines before the first intervention",
            )
        for j, k in enumerate(anchors):
            if k == 0:
                continue
            lines = [items[k - 1], *items[k + 1 : bounds[j + 1]]]
            blocks.append((lines, intervention_type.match(items[k][1]).group("v")))  # type: ignore[union-attr]
    found = []
    for lines, type_text in blocks:
        if not lines:
            page.warn("'Intervention Type' without an intervention name", section)
            continue
        entry: dict[str, Any] = {"name": lines[0][1]}
        if type_text.strip():
            entry["type"] = code(type_text)
        desc: list[str] = []
        others: list[str] = []
        for _, t in lines[1:]:
            if m := other_names.match(t):
                others.extend(p.strip() for p in m.group("v").split(",") if p.strip())
            else:
                desc.append(t)
        if desc:
            entry["description"] = "\n".join(desc)
        if others:
            entry["other_names"] = others
        entry["_line"] = lines[0][0]
        found.append(entry)
    page.data["_interventions"] = found


def link(page: PageReader) -> None:
    """Build arms and interventions; each group's interventions link back via arm_group_labels."""
    groups_heading = heading_of("groups")
    groups = page.data.pop("_groups", None)
    listed = page.data.pop("_interventions", None)
    interventions: list[dict[str, Any]] = list(listed or [])
    arms = []
    for group in groups or []:
        arm: dict[str, Any] = {"label": group["label"]}
        if group.get("type"):
            arm["type"] = group["type"]
        if group["_desc"]:
            arm["description"] = "\n".join(group["_desc"])
        names = []
        for gi in group["_ints"]:
            gtype, desc = gi.get("type"), "\n".join(gi["_desc"]) or None
            names.append(f"{code_title(gtype)}: {gi['name']}" if gtype else gi["name"])
            same = [iv for iv in interventions if iv["name"] == gi["name"] and gtype in (None, iv.get("type"))]
            exact = [iv for iv in same if iv.get("description") == desc]
            target: dict[str, Any] | None = (exact or same or [None])[0]  # type: ignore[list-item]
            if target is None:
                if listed is not None:
                    page.warn(
                        f"intervention {gi['name']!r} of group {group['label']!r} is not listed under "
                        "Interventions: added from the group",
                        groups_heading,
                        gi["_line"],
                    )
                target = {"name": gi["name"], **({"type": gtype} if gtype else {})}
                if desc:
                    target["description"] = desc
                interventions.append(target)
            elif len(same) > 1 and len(exact) != 1:
                page.warn(
                    f"intervention {gi['name']!r} is listed more than once: group {group['label']!r} "
                    "linked to the first",
                    groups_heading,
                    gi["_line"],
                )
            labels = target.setdefault("arm_group_labels", [])
            if group["label"] not in labels:
                labels.append(group["label"])
        if names:
            arm["intervention_names"] = names
        arms.append(arm)
    for iv in interventions:
        iv.pop("_line", None)
    if arms:
        page.data["arms"] = arms
    if interventions:
        page.data["interventions"] = interventions


HANDLERS = {"groups": study_groups, "interventions": interventions}
