"""Unicode bidirectional controls shown as visible marks instead of being obeyed.

A prompt holding U+202E (RIGHT-TO-LEFT OVERRIDE) would make a browser or terminal display the
text after it reversed, so a report could show something other than what was explained.
Every control below is replaced by ``[U+XXXX]``.
"""

from __future__ import annotations

__all__ = ["BIDI_CONTROLS", "show_bidi"]

#: ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_VISIBLE = {ord(c): f"[U+{ord(c):04X}]" for c in BIDI_CONTROLS}


def show_bidi(text: str) -> str:
    """``text`` with each bidirectional control replaced by a visible ``[U+XXXX]``."""
    return text.translate(_VISIBLE)
