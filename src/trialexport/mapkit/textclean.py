"""Characters no output format may carry, and how they are replaced (shared by the FHIR and ODM writers).

XML 1.0 forbids C0 controls other than TAB/LF/CR, U+FFFE/U+FFFF and lone surrogates; FHIR strings
forbid the same. They become U+FFFD and the writer reports which ones, with the model path.
"""

from __future__ import annotations

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def replace_forbidden(text: str) -> tuple[str, list[str]]:
    """``text`` with forbidden characters replaced, and their code points (``["U+000B"]``; empty if none)."""
    if FORBIDDEN.search(text) is None:
        return text, []
    found = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)})
    return FORBIDDEN.sub(REPLACEMENT, text), found
