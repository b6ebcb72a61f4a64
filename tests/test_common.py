"""Every registered method × every contract check in ``ablatio.testing``.

Methods merged later are covered automatically; a method configures its checks through its
``_check_tags`` class attribute (see ``ablatio.testing``).
"""

from __future__ import annotations

import pytest

from ablatio.methods import METHODS
from ablatio.testing import SkipCheck, iter_checks

CASES = [
    pytest.param(run, id=f"{name}-{check}")
    for name, cls in sorted(METHODS.items())
    for check, run in iter_checks(cls)
]


@pytest.mark.parametrize("run", CASES)
def test_method_contract(run):
    try:
        run()
    except SkipCheck as reason:
        pytest.skip(str(reason))
