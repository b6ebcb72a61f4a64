"""Cut a text into parts and rebuild it with some parts removed or replaced.

A text of length ``L`` is described by ``n`` non-overlapping character spans
``(a_1, b_1), ..., (a_n, b_n)`` (the *parts*, in order); what lies between them (spaces,
punctuation outside the spans) is kept verbatim. For a mask ``m`` in ``{0, 1}^n`` the ablated
text is

.. math::

    x(m) = g_0 \\, r_1(m_1) \\, g_1 \\, r_2(m_2) \\cdots r_n(m_n) \\, g_n,

where ``g_i`` is the text between parts ``i`` and ``i + 1`` and ``r_i(1)`` is the part
itself. ``r_i(0)`` depends on the masking strategy:

``"delete"`` (default)
    the part and the whitespace just before it disappear (other text between parts stays),
    so ``"the red car"`` without ``red`` reads ``"the car"``. Removal is what an ablation
    means for prompts, and it is what a user can do to their own prompt, so it is the
    default.
``"token"``
    the part becomes one special token of the tokenizer (mask, else unk, else pad), keeping
    positions and length roughly fixed.
``"baseline"``
    the part becomes a user-given replacement text (one string for every part, or one per
    part), e.g. a neutral synonym.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ablatio.exceptions import ParameterError

__all__ = ["MASKINGS", "UNITS", "Masker", "Segments", "segment", "segment_levels"]

#: Ways of cutting a text into parts.
UNITS = ("words", "sentences", "tokens")
#: Ways of ablating a part.
MASKINGS = ("delete", "token", "baseline")

_WORD = re.compile(r"\S+")
#: A sentence: a run of text up to and including ., ! or ? (and closing quotes), or the rest.
_SENTENCE = re.compile(r"[^\s].*?(?:[.!?]+[\"')\]]*(?=\s|$)|$)", re.DOTALL)
#: Longest part text kept in a player name.
_NAME_CHARS = 24
#: Stripped from both ends of a part for its key (:attr:`Segments.keys`).
_PUNCTUATION = string.punctuation + "“”‘’«»…–—"


@dataclass(frozen=True)
class Segments:
    """A text and the character spans of its ``n`` parts.

    Attributes
    ----------
    text : str
        The full text.
    spans : tuple of (int, int)
        ``(start, end)`` of each part, sorted and non-overlapping.
    unit : str
        How the parts were made (``"words"``, ``"sentences"``, ``"tokens"`` or ``"spans"``).
    """

    text: str
    spans: tuple[tuple[int, int], ...]
    unit: str

    @property
    def n_parts(self) -> int:
        """Number of parts."""
        return len(self.spans)

    @property
    def parts(self) -> tuple[str, ...]:
        """Text of each part."""
        return tuple(self.text[a:b] for a, b in self.spans)

    @property
    def keys(self) -> tuple[str, ...]:
        """What each part says, for parts that should act alike: the part case-folded and
        stripped of surrounding spaces and punctuation (``"Good!"`` and ``"good"`` share the key
        ``"good"``; a part of punctuation only keeps its own case-folded text)."""
        out = []
        for part in self.parts:
            folded = " ".join(part.casefold().split())
            out.append(folded.strip(_PUNCTUATION) or folded)
        return tuple(out)

    @property
    def names(self) -> tuple[str, ...]:
        """Unique readable names ``"i:part"`` (long parts shortened)."""
        out = []
        for i, part in enumerate(self.parts):
            short = " ".join(part.split())
            if len(short) > _NAME_CHARS:
                short = short[: _NAME_CHARS - 1] + "…"
            out.append(f"{i}:{short}")
        return tuple(out)


def segment(
    text: str,
    unit: str | Sequence[tuple[int, int]] | Sequence[str] = "words",
    *,
    tokenizer: Any = None,
) -> Segments:
    """Cut ``text`` into parts.

    Parameters
    ----------
    text : str
        The text to explain; must contain at least one non-space character.
    unit : {"words", "sentences", "tokens"}, list of (start, end) or list of str
        ``"words"`` splits on whitespace (punctuation stays attached), ``"sentences"`` after
        ``.``, ``!`` or ``?``, ``"tokens"`` uses the tokenizer's offsets (one part per model
        token). A list of ``(start, end)`` pairs gives the spans directly; a list of strings
        gives parts that are found in order in the text.
    tokenizer : transformers tokenizer, optional
        Needed for ``unit="tokens"`` (a fast tokenizer, for character offsets).

    Returns
    -------
    Segments
    """
    if not isinstance(text, str) or not text.strip():
        msg = f"text == {text!r}: there is nothing to explain; pass a non-empty text"
        raise ParameterError(msg)
    if isinstance(unit, str):
        if unit == "words":
            spans = [m.span() for m in _WORD.finditer(text)]
        elif unit == "sentences":
            spans = [m.span() for m in _SENTENCE.finditer(text) if m.group().strip()]
            spans = [(a, a + len(text[a:b].rstrip())) for a, b in spans]
        elif unit == "tokens":
            spans = _token_spans(text, tokenizer)
        else:
            msg = f"unit == {unit!r}; choose one of {UNITS}, a list of spans or of strings"
            raise ParameterError(msg)
        return Segments(text, tuple(spans), unit)
    return Segments(text, _user_spans(text, list(unit)), "spans")


def segment_levels(
    text: str, levels: Sequence[str], *, tokenizer: Any = None
) -> tuple[Segments, Segments, tuple[tuple[int, ...], ...]]:
    """Cut ``text`` at two levels, e.g. ``("sentences", "words")``: coarse and fine parts.

    Each fine part belongs to the coarse part that contains its first character (a fine part
    outside every coarse span joins the nearest coarse part before it, else the first).

    Returns
    -------
    coarse, fine : Segments
    groups : tuple of tuple of int
        For each coarse part, the indices of its fine parts (a partition of the fine parts;
        coarse parts holding no fine part are dropped from ``coarse``).
    """
    if (
        isinstance(levels, str)
        or len(levels) != 2
        or not all(isinstance(u, str) and u in UNITS for u in levels)
    ):
        msg = (
            f"levels == {levels!r}; give two units, coarse then fine, from {UNITS}, "
            "e.g. ('sentences', 'words')"
        )
        raise ParameterError(msg)
    coarse = segment(text, levels[0], tokenizer=tokenizer)
    fine = segment(text, levels[1], tokenizer=tokenizer)
    starts = np.array([a for a, _ in coarse.spans])
    owner = np.maximum(np.searchsorted(starts, [a for a, _ in fine.spans], side="right") - 1, 0)
    kept = sorted(set(owner.tolist()))
    groups = tuple(tuple(int(i) for i in np.flatnonzero(owner == c)) for c in kept)
    coarse = Segments(text, tuple(coarse.spans[c] for c in kept), coarse.unit)
    return coarse, fine, groups


def _token_spans(text: str, tokenizer: Any) -> list[tuple[int, int]]:
    if tokenizer is None or not getattr(tokenizer, "is_fast", False):
        msg = "unit='tokens' needs a fast Hugging Face tokenizer: pass tokenizer=..."
        raise ParameterError(msg)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    spans: list[tuple[int, int]] = []
    for a, b in enc["offset_mapping"]:
        a = max(a, spans[-1][1]) if spans else a
        if b > a:
            spans.append((a, b))
    return spans


def _user_spans(text: str, unit: list[Any]) -> tuple[tuple[int, int], ...]:
    if not unit:
        msg = "unit is an empty list: give at least one span or part"
        raise ParameterError(msg)
    spans: list[tuple[int, int]] = []
    if all(isinstance(u, str) for u in unit):
        pos = 0
        for part in unit:
            start = text.find(part, pos) if part else -1
            if start < 0:
                msg = f"part {part!r} not found in the text after position {pos}"
                raise ParameterError(msg)
            spans.append((start, start + len(part)))
            pos = start + len(part)
        return tuple(spans)
    last = 0
    for span in unit:
        a, b = (int(v) for v in span)
        if not last <= a < b <= len(text):
            msg = (
                f"span {span!r} is empty, overlaps the previous one or leaves the text "
                f"(length {len(text)}): give sorted, non-overlapping (start, end) pairs"
            )
            raise ParameterError(msg)
        spans.append((a, b))
        last = b
    return tuple(spans)


class Masker:
    """Builds the ablated texts of a :class:`Segments` for a batch of masks.

    Parameters
    ----------
    segments : Segments
        The text and its parts.
    masking : {"delete", "token", "baseline"}, default="delete"
        See the module docstring.
    tokenizer : transformers tokenizer, optional
        Gives the special token for ``masking="token"``.
    baseline : str or sequence of str, optional
        Replacement text(s) for ``masking="baseline"``: one string, or one per part.
    """

    def __init__(
        self,
        segments: Segments,
        masking: str = "delete",
        *,
        tokenizer: Any = None,
        baseline: str | Sequence[str] | None = None,
    ) -> None:
        if masking not in MASKINGS:
            msg = f"masking == {masking!r}; choose one of {MASKINGS}"
            raise ParameterError(msg)
        self.segments = segments
        self.masking = masking
        n = segments.n_parts
        if masking == "token":
            token = _mask_token(tokenizer)
            self.replacements: tuple[str, ...] = (token,) * n
        elif masking == "baseline":
            if baseline is None:
                msg = "masking='baseline' needs baseline=... (a string or one string per part)"
                raise ParameterError(msg)
            reps = (baseline,) * n if isinstance(baseline, str) else tuple(baseline)
            if len(reps) != n:
                msg = f"baseline has {len(reps)} strings for {n} parts: give one per part"
                raise ParameterError(msg)
            self.replacements = reps
        else:
            self.replacements = ("",) * n
        text, spans = segments.text, segments.spans
        self._gaps = [text[: spans[0][0]]] + [
            text[spans[i][1] : spans[i + 1][0]] for i in range(n - 1)
        ]
        self._tail = text[spans[-1][1] :]

    def describe(self) -> dict[str, Any]:
        """JSON-able description for fingerprints."""
        return {"masking": self.masking, "replacements": list(self.replacements)}

    def texts(self, masks: np.ndarray) -> list[str]:
        """The ablated text of every mask row ``bool (n_masks, n_parts)``."""
        parts = self.segments.parts
        out = []
        for row in np.asarray(masks, dtype=bool):
            pieces = []
            for i, keep in enumerate(row):
                if keep or self.masking != "delete":
                    pieces += [self._gaps[i], parts[i] if keep else self.replacements[i]]
                else:  # the part and the whitespace before it go; other text stays
                    pieces.append(self._gaps[i].rstrip())
            text = "".join(pieces) + self._tail
            lead = self._gaps[0]
            if self.masking == "delete" and not lead.strip():
                text = lead + text.lstrip()
            out.append(text)
        return out


def _mask_token(tokenizer: Any) -> str:
    for attr in ("mask_token", "unk_token", "pad_token"):
        token = getattr(tokenizer, attr, None)
        if token:
            return str(token)
    msg = (
        "masking='token' needs a tokenizer with a mask, unk or pad token; pass tokenizer=... "
        "or use masking='delete' / 'baseline'"
    )
    raise ParameterError(msg)
