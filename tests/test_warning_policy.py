"""The suite's warning policy: ablatio's warnings are errors, third-party deprecations are not.

pyproject.toml's ``filterwarnings`` implements it; these tests fail if either half breaks.
"""

import warnings

import pytest

from ablatio.exceptions import AblatioWarning, CoverageWarning, RecoveryWarning


@pytest.mark.parametrize("category", [DeprecationWarning, PendingDeprecationWarning, FutureWarning])
def test_third_party_deprecation_is_shown_not_fatal(category: type[Warning]) -> None:
    # emitted as a dependency would (transformers' deprecate_kwarg uses FutureWarning)
    with pytest.warns(category):
        warnings.warn("`past_key_values` is deprecated, use `cache`", category, stacklevel=1)
    warnings.warn("a dependency's deprecation notice", category, stacklevel=1)


@pytest.mark.parametrize("category", [AblatioWarning, RecoveryWarning, CoverageWarning])
def test_ablatio_warnings_stay_errors(category: type[Warning]) -> None:
    with pytest.raises(category):
        warnings.warn("ablatio's own warning", category, stacklevel=1)


def test_every_ablatio_warning_subclasses_the_base() -> None:
    import ablatio.exceptions as exc

    found = [
        obj
        for obj in vars(exc).values()
        if isinstance(obj, type) and issubclass(obj, Warning) and obj.__module__ == exc.__name__
    ]
    assert found, "no warning classes found"
    assert all(issubclass(w, AblatioWarning) for w in found)
