"""Eligibility criteria splitting."""

from trialexport.readers.criteria import parse_criteria


def kinds(text):
    crit, _notes = parse_criteria(text)
    return [(c["kind"], c["text"]) for c in crit]


def test_headings_and_bullets():
    text = """Inclusion Criteria:

* Age >= 18
* Signed consent

Exclusion Criteria:

- Pregnancy
- Prior \\<treatment\\>
"""
    assert kinds(text) == [("inclusion", "Age >= 18"), ("inclusion", "Signed consent"),
                           ("exclusion", "Pregnancy"), ("exclusion", "Prior <treatment>")]


def test_heading_spellings_and_numbered_bullets():
    text = "INCLUSION CRITERIA\n1. adults\n2) women\nKey Exclusion Criteria:\n• smokers\n(1) drinkers"
    assert kinds(text) == [("inclusion", "adults"), ("inclusion", "women"), ("exclusion", "smokers"),
                           ("exclusion", "drinkers")]


def test_nested_sub_bullets_stay_with_parent():
    text = "Inclusion Criteria:\n\n* Disease, one of:\n\n  * type A\n  * type B\n* Age over 18\n"
    crit, _ = parse_criteria(text)
    assert len(crit) == 2
    assert crit[0]["text"] == "Disease, one of:\n* type A\n* type B"


def test_run_on_numbering_is_split():
    text = ("Exclusion Criteria\n\n* one;\n* two;\n* three;\n* four;\n* five;\n* six;\n"
            "* Patients with tumors; 8. Patients with blood-borne diseases;\n* nine")
    crit, _ = parse_criteria(text)
    assert [c["text"] for c in crit][6:8] == ["Patients with tumors;", "Patients with blood-borne diseases;"]
    assert len(crit) == 9


def test_numbers_inside_a_criterion_are_not_split():
    crit, _ = parse_criteria("Inclusion Criteria:\n* dose of 2. 5 mg; 1. something")
    assert len(crit) == 1


def test_no_headings_is_inclusion_with_a_note():
    crit, notes = parse_criteria("adults over 18\nno pregnancy")
    assert [c["kind"] for c in crit] == ["inclusion", "inclusion"]
    assert any("no 'Inclusion Criteria'" in n for n in notes)


def test_wrapped_lines_join_their_criterion():
    crit, _ = parse_criteria("Inclusion Criteria:\n* a long criterion\n  that wraps\n* next")
    assert [c["text"] for c in crit] == ["a long criterion that wraps", "next"]
