"""The exceptions ablatio raises.

Every error derives from :class:`AblatioError`, so ``except AblatioError`` catches all of
them; most also derive from the built-in type that fits (``ValueError``, ``TypeError``,
``RuntimeError``) so that generic handlers keep working::

    AblatioError
    ├── ParameterError (ValueError)          a method or function got an invalid setting
    │   └── BudgetTooSmallError              budget below what the method needs (states the minimum)
    ├── BudgetExceededError (RuntimeError)   a method asked for more distinct ablations than allowed
    ├── AblationError (ValueError)           masks or model outputs are malformed
    │   ├── MaskError                        wrong shape / dtype / values of a mask array
    │   └── ValueFunctionError               wrong length / dtype of what the model returned
    │       └── NonFiniteValueError          NaN or inf among the model outputs
    ├── EvaluationError (RuntimeError)       the model could not be evaluated (endpoint down, ...)
    ├── CacheError (RuntimeError)            the ablation cache cannot be used
    │   ├── CacheMismatchError               the file belongs to another game
    │   ├── CacheCorruptError                truncated / invalid file, or a changed row
    │   └── GameIdentityError                what determines the values is unknown (a lambda, ...)
    ├── BasisError (ValueError)              mixing or misusing interaction bases
    ├── DataFormatError (ValueError)         a norm / embedding file has an unexpected layout
    ├── CoverageError (ValueError)           too few items shared by two data sets
    └── NotFittedError (AttributeError)      a result attribute was read before ``fit``

Warnings (the result is still returned, with its quality stated)::

    AblatioWarning (UserWarning)             base of every warning ablatio raises
    ├── RecoveryWarning                      a method's measured held-out R² says it did not recover
    │   └── UnconfirmedRecoveryWarning       … or is above the threshold by too few standard errors
    ├── LowBudgetWarning                     budget below a method's design; a smaller answer ran
    ├── CoverageWarning                      items missing from one data set were dropped
    └── DuplicateNormWarning                 repeated (concept, feature) norm rows were merged
"""

from __future__ import annotations

__all__ = [
    "AblatioError",
    "AblatioWarning",
    "AblationError",
    "BasisError",
    "BudgetExceededError",
    "BudgetTooSmallError",
    "CacheCorruptError",
    "CacheError",
    "CacheMismatchError",
    "CoverageError",
    "CoverageWarning",
    "DataFormatError",
    "DuplicateNormWarning",
    "EvaluationError",
    "GameIdentityError",
    "LowBudgetWarning",
    "MaskError",
    "NonFiniteValueError",
    "NotFittedError",
    "ParameterError",
    "RecoveryWarning",
    "UnconfirmedRecoveryWarning",
    "ValueFunctionError",
]


class AblatioError(Exception):
    """Base class of every error raised by ablatio."""


class ParameterError(AblatioError, ValueError):
    """A parameter has a value outside its allowed range or type."""


class BudgetTooSmallError(ParameterError):
    """The ablation budget is below the minimum the method needs.

    Attributes
    ----------
    minimum : int
        The smallest budget that works with the other settings unchanged.
    """

    def __init__(self, message: str, *, minimum: int) -> None:
        super().__init__(message)
        self.minimum = minimum


class BudgetExceededError(AblatioError, RuntimeError):
    """A method requested more distinct ablations than its budget allows."""


class AblationError(AblatioError, ValueError):
    """Masks or model outputs are malformed."""


class MaskError(AblationError):
    """A mask array has the wrong shape, dtype or values."""


class ValueFunctionError(AblationError):
    """The value function returned something other than one finite float per mask."""


class NonFiniteValueError(ValueFunctionError):
    """The value function returned NaN or infinity for some masks."""


class EvaluationError(AblatioError, RuntimeError):
    """The model could not be evaluated (e.g. an endpoint stayed unreachable after retries)."""


class CacheError(AblatioError, RuntimeError):
    """The ablation cache file cannot be used."""


class CacheMismatchError(CacheError):
    """The cache file was written for a different game (other fingerprint or n)."""


class CacheCorruptError(CacheError):
    """The cache file is truncated, corrupted, not an ablatio cache, or a row was changed."""


class GameIdentityError(CacheError):
    """A cache was requested for a value function whose identity cannot be established.

    A lambda, a callable object without ``fingerprint()`` or a closure over an undescribable
    object: pass ``name=`` and ``version=`` to state the identity.
    """


class BasisError(AblatioError, ValueError):
    """An operation mixed interaction bases or needs a different basis."""


class NotFittedError(AblatioError, AttributeError):
    """A fitted attribute was accessed before calling ``fit``."""


class AblatioWarning(UserWarning):
    """Base class of every warning ablatio raises (the test suite turns these into errors)."""


class RecoveryWarning(AblatioWarning):
    """A method could not recover the game well; the message states its held-out R²."""


class UnconfirmedRecoveryWarning(RecoveryWarning):
    """The held-out R² is above the method's threshold, but not by ``WARN_Z`` standard errors:
    too few held-out ablations to confirm recovery (a larger budget makes the estimate
    precise)."""


class LowBudgetWarning(AblatioWarning):
    """The budget is below a method's own design; a smaller honest answer was returned."""


class DataFormatError(AblatioError, ValueError):
    """A data file (feature norms, embeddings) does not have the expected columns or layout."""


class CoverageError(AblatioError, ValueError):
    """Too few items are shared by two data sets (e.g. norm concepts and embedding words)."""


class CoverageWarning(AblatioWarning):
    """Some items were dropped because the other data set lacks them; the result is still valid."""


class DuplicateNormWarning(AblatioWarning):
    """A norm file lists some (concept, feature) pairs more than once; they were merged."""
