"""The verdict vocabulary shared by :func:`ablatio.reality_check` and the audits.

One word per outcome, spelled the same everywhere (status strings, JSON, markdown):

``supported``
    The claim clears every tested control by the stated margins.
``weak``
    It clears the controls, but its own quality is below the stated bar
    (:func:`~ablatio.reality_check`: held-out R² below ``min_r2`` or gain below ``margin``).
``ceiling_bound``
    It clears the controls, but the score sits at the ceiling the pipeline allows (the audits:
    Sys at ``ceiling_ratio`` or more of the Upper bound, with that bound itself below the
    metric's maximum): the score measures the pipeline's ceiling, not how much the input knows.
``partly_explained``
    It clears the controls, but one control still reaches a large share of the score.
``not_supported``
    Some control is not significantly worse: the score is explained by what that control keeps.
``untested``
    No control was run, so nothing can be claimed (never reported as ``supported``).
"""

from __future__ import annotations

__all__ = [
    "CEILING_BOUND",
    "NOT_SUPPORTED",
    "PARTLY_EXPLAINED",
    "SUPPORTED",
    "UNTESTED",
    "VERDICTS",
    "WEAK",
]

SUPPORTED = "supported"
WEAK = "weak"
CEILING_BOUND = "ceiling_bound"
PARTLY_EXPLAINED = "partly_explained"
NOT_SUPPORTED = "not_supported"
UNTESTED = "untested"

#: Every status, from the most to the least favourable.
VERDICTS = (SUPPORTED, WEAK, CEILING_BOUND, PARTLY_EXPLAINED, NOT_SUPPORTED, UNTESTED)
