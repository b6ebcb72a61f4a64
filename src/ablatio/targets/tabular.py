"""Tabular target: one row of features, ablated by replacing features with a baseline.

The parts are the columns of one input row ``x``. A kept feature keeps its value; an ablated
one takes a baseline value, chosen by ``baseline``:

``"marginal"`` (default, needs ``background``)
    the interventional expectation over a background sample ``b_1 .. b_B``:

    .. math::

        v(S) = \\frac{1}{B} \\sum_{j=1}^{B} f(x_S, b_{j, \\bar S}),

    which is what SHAP's exact, permutation and kernel explainers compute with an independent
    (interventional) masker over the same background, so the Shapley values agree with shap's.
``"mean"`` / ``"median"`` (need ``background``)
    one reference row, the column means (medians) of the background: ``v(S) = f(x_S, r_{\\bar S})``.
an array, a Series or a one-row DataFrame
    that reference row itself (e.g. a typical customer, an all-zero image).

``v(∅)`` is the model's output on the baseline, ``v(N) = f(x)``. Each mask costs ``B`` model
rows with ``"marginal"`` and one otherwise; batches are cut to at most ``max_rows`` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ablatio._identity import array_id, digest, estimator_id
from ablatio._optional import require
from ablatio._validation import check_feature_names
from ablatio.exceptions import ParameterError, ValueFunctionError
from ablatio.targets.base import Target

__all__ = ["BASELINES", "OUTPUTS", "PROB_EPS", "TabularTarget"]

#: Named baseline strategies (an explicit reference row is the fourth).
BASELINES = ("marginal", "mean", "median")
#: What of the model is explained.
OUTPUTS = ("auto", "predict", "proba", "log_odds", "decision")
#: Probabilities are clipped to ``[PROB_EPS, 1 - PROB_EPS]`` before taking log-odds.
PROB_EPS = 1e-12


def _rows(values: Any, what: str) -> tuple[np.ndarray, list[str] | None, dict[str, Any] | None]:
    """2-D array, column names and dtypes (DataFrame/Series) of an input."""
    columns = getattr(values, "columns", None)
    if columns is not None:  # DataFrame
        return values.to_numpy(), [str(c) for c in columns], dict(values.dtypes.items())
    index = getattr(values, "index", None)
    if index is not None and hasattr(values, "to_numpy"):  # Series: one row
        return values.to_numpy()[None, :], [str(c) for c in index], None
    arr = np.asarray(values)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        msg = (
            f"{what} has shape {np.shape(values)}; pass a row (n_features,) or rows (n, n_features)"
        )
        raise ParameterError(msg)
    return arr, None, None


class TabularTarget(Target):
    """Value = a model's output on ``x`` with the ablated features set to a baseline.

    Parameters
    ----------
    model : estimator, torch module or callable
        A scikit-learn-style model (``predict``, ``predict_proba``, ``decision_function``), a
        ``torch.nn.Module`` taking a float tensor ``(n, n_features)``, or a function
        ``rows (n, n_features) -> outputs (n,)`` or ``(n, n_outputs)``.
    x : array of shape (n_features,), Series or one-row DataFrame
        The input row to explain.
    background : array of shape (n_background, n_features) or DataFrame, optional
        Rows standing for "feature unknown": needed by ``"marginal"``, ``"mean"``, ``"median"``.
    baseline : {"marginal", "mean", "median"} or array-like row, default="marginal"
        How an ablated feature is replaced (see the module docstring).
    output : {"auto", "predict", "proba", "log_odds", "decision"}, default="auto"
        ``"auto"``: ``predict_proba`` of ``label`` when the model has it, else ``predict``
        (or the call). ``"log_odds"``: :math:`\\log p - \\log(1 - p)` of that probability.
    label : class label or int, optional
        Class (a value of ``model.classes_``) or output column explained; default: the class
        predicted for ``x`` (the largest output).
    feature_names : sequence of str, optional
        Default: the columns of ``x``/``background``, else ``model.feature_names_in_``.
    max_rows : int, default=65536
        Largest number of rows passed to the model in one call.

    Examples
    --------
    >>> import numpy as np
    >>> from ablatio.targets import TabularTarget
    >>> t = TabularTarget(lambda X: X[:, 0] * X[:, 1], [2.0, 3.0], baseline=[0.0, 1.0])
    >>> t(np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=bool))
    array([6., 2., 0., 0.])
    """

    def __init__(
        self,
        model: Any,
        x: Any,
        background: Any = None,
        *,
        baseline: str | Any = "marginal",
        output: str = "auto",
        label: Any = None,
        feature_names: Sequence[str] | None = None,
        max_rows: int = 65536,
    ) -> None:
        if output not in OUTPUTS:
            msg = f"output == {output!r}; choose one of {OUTPUTS}"
            raise ParameterError(msg)
        if not isinstance(max_rows, int) or max_rows < 1:
            msg = f"max_rows == {max_rows!r}, must be a positive int"
            raise ParameterError(msg)
        row, x_cols, x_types = _rows(x, "x")
        if row.shape[0] != 1:
            msg = f"x has {row.shape[0]} rows; explain one row at a time (x of shape (n_features,))"
            raise ParameterError(msg)
        self.n_players = row.shape[1]
        self.baseline_name, base, b_cols, b_types = self._baseline(baseline, background)
        if base.shape[1] != self.n_players:
            msg = f"x has {self.n_players} features but the baseline rows have {base.shape[1]}"
            raise ParameterError(msg)
        fitted = getattr(model, "feature_names_in_", None)
        columns = x_cols or b_cols or (None if fitted is None else [str(c) for c in fitted])
        self.player_names = check_feature_names(feature_names or columns, self.n_players)
        self._columns = columns if (x_cols or b_cols or fitted is not None) else None
        self._dtypes = b_types or x_types
        self.model = model
        self.x = row
        self.base = base
        self.output = output
        self.max_rows = max_rows
        self._torch = hasattr(model, "state_dict") and hasattr(model, "parameters")
        if not (self._torch or callable(model) or hasattr(model, "predict")):
            msg = (
                f"model == {type(model).__name__}: pass an estimator with predict, a torch "
                "module or a callable"
            )
            raise ParameterError(msg)
        self.label, self._column = self._resolve_label(label)

    @staticmethod
    def _baseline(
        baseline: Any, background: Any
    ) -> tuple[str, np.ndarray, list[str] | None, dict[str, Any] | None]:
        if isinstance(baseline, str):
            if baseline not in BASELINES:
                msg = f"baseline == {baseline!r}; choose one of {BASELINES} or pass a reference row"
                raise ParameterError(msg)
            if background is None:
                msg = (
                    f"baseline={baseline!r} needs background rows: pass background=X_train[:100] "
                    "(or baseline=<a reference row>)"
                )
                raise ParameterError(msg)
            rows, cols, types = _rows(background, "background")
            if rows.shape[0] == 0:
                msg = "background has no rows: pass at least one"
                raise ParameterError(msg)
            if baseline == "marginal":
                return baseline, rows, cols, types
            try:
                numeric = rows.astype(np.float64)
            except (TypeError, ValueError) as exc:
                msg = (
                    f"baseline={baseline!r} needs numeric features; use 'marginal' or a "
                    "reference row"
                )
                raise ParameterError(msg) from exc
            stat = np.mean if baseline == "mean" else np.median
            return baseline, stat(numeric, axis=0)[None, :], cols, None
        if background is not None:
            msg = "pass either a reference row as baseline or background rows, not both"
            raise ParameterError(msg)
        rows, cols, types = _rows(baseline, "baseline")
        if rows.shape[0] != 1:
            msg = f"baseline has {rows.shape[0]} rows; a reference baseline is one row"
            raise ParameterError(msg)
        return "reference", rows, cols, types

    def _resolve_label(self, label: Any) -> tuple[Any, int | None]:
        """The explained class and its output column (None: the output is one number)."""
        out = self._raw(self.x)
        if out.ndim == 1 or out.shape[1] == 1:
            if label is not None:
                msg = f"label == {label!r} but the model's output has one column"
                raise ParameterError(msg)
            return None, None
        classes = getattr(self.model, "classes_", None)
        if label is None:
            column = int(np.argmax(out[0]))
            return (column if classes is None else classes[column]), column
        if classes is not None and self._uses_classes():
            found = np.flatnonzero(np.asarray(classes) == label)
            if found.size == 0:
                msg = f"label == {label!r} is not one of the model's classes {list(classes)}"
                raise ParameterError(msg)
            return label, int(found[0])
        if not isinstance(label, int | np.integer) or not 0 <= int(label) < out.shape[1]:
            msg = f"label == {label!r}: pass an output column 0..{out.shape[1] - 1}"
            raise ParameterError(msg)
        return int(label), int(label)

    def _uses_classes(self) -> bool:
        return self._method()[0] in ("predict_proba", "decision_function")

    def _method(self) -> tuple[str, Callable[[Any], Any]]:
        model = self.model
        if self.output in ("auto", "proba", "log_odds") and hasattr(model, "predict_proba"):
            return "predict_proba", model.predict_proba
        if self.output in ("proba", "log_odds") and not self._torch:
            msg = f"output={self.output!r} needs a model with predict_proba"
            raise ParameterError(msg)
        if self.output == "decision":
            if not hasattr(model, "decision_function"):
                msg = "output='decision' needs a model with decision_function"
                raise ParameterError(msg)
            return "decision_function", model.decision_function
        if hasattr(model, "predict") and not self._torch:
            return "predict", model.predict
        return "call", model

    def _frame(self, rows: np.ndarray) -> Any:
        if self._columns is None:
            return rows
        import pandas as pd

        frame = pd.DataFrame(rows, columns=self._columns)
        return frame.astype(self._dtypes) if self._dtypes else frame

    def _raw(self, rows: np.ndarray) -> np.ndarray:
        """Model outputs ``(n_rows,)`` or ``(n_rows, n_outputs)``."""
        if self._torch:
            torch = require("torch", extra="torch")
            dtype = next(self.model.parameters()).dtype
            with torch.inference_mode():
                out = self.model(torch.as_tensor(rows.astype(np.float64), dtype=dtype))
            values = out.detach().double().cpu().numpy()
            if self.output in ("proba", "log_odds"):
                values = np.exp(values - np.logaddexp.reduce(values, axis=1, keepdims=True))
        else:
            values = np.asarray(self._method()[1](self._frame(rows)), dtype=np.float64)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim not in (1, 2) or values.shape[0] != rows.shape[0]:
            msg = f"the model returned shape {values.shape} for {rows.shape[0]} rows"
            raise ValueFunctionError(msg)
        return values

    def _predict(self, rows: np.ndarray) -> np.ndarray:
        values = self._raw(rows)
        if self._column is not None:
            values = values[:, self._column]
        if self.output == "log_odds":
            p = np.clip(values, PROB_EPS, 1.0 - PROB_EPS)
            values = np.log(p) - np.log1p(-p)
        return values

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        """Values ``float64 (n_masks,)`` of bool masks ``(n_masks, n_players)``."""
        masks = np.asarray(masks, dtype=bool)
        n_base = self.base.shape[0]
        step = max(self.max_rows // n_base, 1)
        out = np.empty(masks.shape[0], dtype=np.float64)
        for start in range(0, masks.shape[0], step):
            chunk = masks[start : start + step]
            rows = np.where(chunk[:, None, :], self.x[None, :, :], self.base[None, :, :])
            values = self._predict(rows.reshape(-1, self.n_players))
            out[start : start + len(chunk)] = values.reshape(len(chunk), n_base).mean(axis=1)
        return out

    def fingerprint(self) -> str:
        """Digest of the model's parameters, ``x``, the baseline rows and the output definition."""
        return digest(
            {
                "class": type(self).__name__,
                "model": estimator_id(self.model),
                "x": array_id(self.x),
                "baseline": self.baseline_name,
                "base": array_id(self.base),
                "output": self.output,
                "label": repr(self.label),
                "columns": self._columns,
            }
        )
