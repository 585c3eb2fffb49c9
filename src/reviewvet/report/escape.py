"""Text from a review or a repository, made safe to show: control characters become visible.

A review (or a file, path or commit subject in the repository it talks about) may hold
terminal escape sequences, a bell, a carriage return or Unicode bidi overrides: printed as
they are, they could clear the screen, rewrite the lines above or reorder what a reader sees.
``visible`` spells them out (``\\x1b``, ``\\u202e``); the terminal and Markdown reports pass
every piece of outside text through it. The JSON formats escape C0 controls already;
``json_visible`` makes them escape C1 controls and bidi characters too (still the same
strings to a JSON parser).
"""

from __future__ import annotations

import re

# C0 controls but the tab, DEL and C1 controls, the bidi marks, embeddings, overrides and
# isolates, and the Unicode line and paragraph separators.
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with every control character written out: ESC as ``\\x1b``, U+202E as ``\\u202e``."""
    return UNSAFE.sub(_spelled, text)


def json_visible(dumped: str) -> str:
    """JSON text with C1 controls and bidi characters as ``\\uXXXX`` escapes (the same strings once parsed)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def _spelled(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
