"""Text targets: a prompt cut into parts, ablated, and scored by a model.

Every target here is a :class:`~ablatio.targets.base.Target`: called on masks
``bool (n_masks, n_players)`` it builds the ablated texts (see
:mod:`ablatio.targets.segment` for the segmenting and masking rules) and returns one float per
mask. The values:

* :class:`ClassifierTarget` (b): probability or logit of one class of a sequence classifier;
* :class:`EmbeddingTarget` (c): cosine similarity of a sentence embedding to the full text's
  embedding or to a query;
* :class:`ScoreTarget`: any function of the ablated texts (e.g. VADER's compound score);
* the language-model values (a) and (d) live in :mod:`ablatio.targets.lm`.

Models are passed in as plain callables (``texts -> array``); ready-made torch wrappers are in
:mod:`ablatio.backends.local` and :mod:`ablatio.backends.encoders`, loaders in
:mod:`ablatio.models`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ablatio._identity import callable_id, digest
from ablatio.exceptions import ParameterError, ValueFunctionError
from ablatio.targets.base import Target
from ablatio.targets.segment import UNITS, Masker, Segments, segment, segment_levels

__all__ = ["ClassifierTarget", "EmbeddingTarget", "ScoreTarget", "TextTarget"]


class TextTarget(Target):
    """Base of text targets: segments a text and builds ablated texts for masks.

    Parameters
    ----------
    text : str
        The text (prompt) to explain.
    unit : {"words", "sentences", "tokens"}, list, or tuple of two of them, default="words"
        How to cut it into parts; see :func:`~ablatio.targets.segment.segment`. A tuple of
        two units, coarse then fine (e.g. ``("sentences", "words")``), makes the fine parts
        the players and records the coarse level in ``groups`` for hierarchical explanation
        (:class:`~ablatio.methods.hierarchical.Hierarchical`).
    masking : {"delete", "token", "baseline"}, default="delete"
        How a removed part is ablated; see :class:`~ablatio.targets.segment.Masker`.
    baseline : str or sequence of str, optional
        Replacement text(s) for ``masking="baseline"``.
    tokenizer : transformers tokenizer, optional
        For ``unit="tokens"`` and ``masking="token"``.

    Attributes
    ----------
    segments : Segments
    masker : Masker
    n_players : int
    player_names : tuple of str
    part_keys : tuple of str
        Each part's :attr:`~ablatio.targets.segment.Segments.keys` (the same word, case and
        surrounding punctuation aside, gives the same key).
    ordered : bool
        True: the parts are the text's pieces in reading order.
    coarse_segments : Segments or None
        The coarse level when ``unit`` gives two levels.
    groups : tuple of tuple of int, or None
        The fine parts of each coarse part when ``unit`` gives two levels.
    """

    ordered = True

    def __init__(
        self,
        text: str,
        *,
        unit: str | Sequence[Any] = "words",
        masking: str = "delete",
        baseline: str | Sequence[str] | None = None,
        tokenizer: Any = None,
    ) -> None:
        self.segments: Segments
        self.coarse_segments: Segments | None = None
        self.groups: tuple[tuple[int, ...], ...] | None = None
        if isinstance(unit, tuple) and len(unit) == 2 and all(u in UNITS for u in unit):
            self.coarse_segments, self.segments, self.groups = segment_levels(
                text, unit, tokenizer=tokenizer
            )
        else:
            self.segments = segment(text, unit, tokenizer=tokenizer)
        self.masker = Masker(self.segments, masking, tokenizer=tokenizer, baseline=baseline)
        self.n_players = self.segments.n_parts
        self.player_names = self.segments.names
        self.part_keys: tuple[str, ...] | None = self.segments.keys

    @property
    def text(self) -> str:
        """The full text."""
        return self.segments.text

    def texts(self, masks: np.ndarray) -> list[str]:
        """The ablated texts of masks ``(n_masks, n_players)``."""
        return self.masker.texts(masks)

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        """Values ``float64 (n_masks,)`` of masks ``(n_masks, n_players)``."""
        texts = self.texts(masks)
        values = np.asarray(self._score(texts), dtype=np.float64).reshape(-1)
        if values.shape != (len(texts),):
            msg = f"{type(self).__name__} scored {values.size} values for {len(texts)} texts"
            raise ValueFunctionError(msg)
        return values

    def _score(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        """Model and value definition, for the fingerprint (override in subclasses)."""
        return {}

    def fingerprint(self) -> str:
        """Hash of the class, text, parts, masking, model and value definition.

        Callables (scorer, classifier, encoder) are identified by
        :func:`ablatio._identity.callable_id`; a lambda raises
        :class:`~ablatio.exceptions.GameIdentityError` unless the game states name/version.
        """
        return digest(
            {
                "class": type(self).__name__,
                "text": self.segments.text,
                "spans": self.segments.spans,
                **self.masker.describe(),
                **self._describe(),
            }
        )

    def _role(self, parameter: str) -> str:
        """How an identity error names one of this target's callables."""
        return f"{type(self).__name__}'s {parameter}"


class ScoreTarget(TextTarget):
    """Value = ``score(texts)``, any function of the ablated texts.

    Parameters
    ----------
    text : str
        The text to explain.
    score : callable
        ``score(list of str) -> array (n_texts,)``, e.g. :func:`ablatio.models.vader_scorer`.
    **segmenting
        ``unit``, ``masking``, ``baseline``, ``tokenizer`` as in :class:`TextTarget`.

    Examples
    --------
    >>> import numpy as np
    >>> from ablatio.targets.text import ScoreTarget
    >>> t = ScoreTarget("not bad at all", lambda texts: [len(s) for s in texts])
    >>> t(np.array([[1, 1, 1, 1], [0, 1, 1, 1]], dtype=bool))
    array([14., 10.])
    """

    def __init__(self, text: str, score: Callable[[list[str]], Any], **segmenting: Any) -> None:
        super().__init__(text, **segmenting)
        self.score = score

    def _score(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.score(texts), dtype=np.float64)

    def _describe(self) -> dict[str, Any]:
        return {"score": callable_id(self.score, self._role("score"))}


class ClassifierTarget(TextTarget):
    """Value = probability (or logit) of one class of a sequence classifier.

    Parameters
    ----------
    text : str
        The text to explain.
    classifier : callable
        ``classifier(list of str) -> logits (n_texts, n_classes)``, e.g. a
        :class:`~ablatio.backends.encoders.TorchClassifier`.
    label : int, optional
        The class whose output is explained (default: the class predicted on the full text).
    output : {"prob", "logit", "log_odds"}, default="prob"
        ``softmax(z)[label]``, ``z[label]`` or ``log p[label] - log(1 - p[label])``.
    **segmenting
        As in :class:`TextTarget`.
    """

    OUTPUTS = ("prob", "logit", "log_odds")

    def __init__(
        self,
        text: str,
        classifier: Callable[[list[str]], Any],
        *,
        label: int | None = None,
        output: str = "prob",
        **segmenting: Any,
    ) -> None:
        if output not in self.OUTPUTS:
            msg = f"output == {output!r}; choose one of {self.OUTPUTS}"
            raise ParameterError(msg)
        super().__init__(text, **segmenting)
        self.classifier = classifier
        self.output = output
        logits = self._logits([text])
        n_classes = logits.shape[1]
        if label is None:
            label = int(np.argmax(logits[0]))
        elif not 0 <= int(label) < n_classes:
            msg = f"label == {label}, the classifier has {n_classes} classes (0..{n_classes - 1})"
            raise ParameterError(msg)
        self.label = int(label)

    def _logits(self, texts: list[str]) -> np.ndarray:
        logits = np.asarray(self.classifier(texts), dtype=np.float64)
        if logits.ndim != 2 or logits.shape[0] != len(texts):
            msg = f"the classifier returned shape {logits.shape}, expected ({len(texts)}, classes)"
            raise ValueFunctionError(msg)
        return logits

    def _score(self, texts: list[str]) -> np.ndarray:
        z = self._logits(texts)
        if self.output == "logit":
            return z[:, self.label]
        logp = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
        own = logp[:, self.label]
        if self.output == "prob":
            return np.exp(own)
        rest = np.logaddexp.reduce(np.delete(logp, self.label, axis=1), axis=1)
        return own - rest

    def _describe(self) -> dict[str, Any]:
        model = callable_id(self.classifier, self._role("classifier"))
        return {"model": model, "label": self.label, "output": self.output}


class EmbeddingTarget(TextTarget):
    """Value = cosine similarity of the ablated text's embedding to a reference embedding.

    The reference is the embedding of the full text (how much of the meaning survives), or of
    ``query`` (how relevant the remaining text is to a question):

    .. math::

        v(m) = \\frac{\\langle e(x(m)), r \\rangle}{\\lVert e(x(m)) \\rVert \\, \\lVert r \\rVert}.

    Parameters
    ----------
    text : str
        The text to explain.
    encoder : callable
        ``encoder(list of str) -> embeddings (n_texts, dim)``, e.g.
        :func:`ablatio.models.load_minilm`.
    query : str, optional
        Compare to this text's embedding instead of the full text's.
    **segmenting
        As in :class:`TextTarget`.
    """

    def __init__(
        self,
        text: str,
        encoder: Callable[[list[str]], Any],
        *,
        query: str | None = None,
        **segmenting: Any,
    ) -> None:
        super().__init__(text, **segmenting)
        self.encoder = encoder
        self.query = query
        self.reference = self._unit(self._embed([text if query is None else query]))[0]

    def _embed(self, texts: list[str]) -> np.ndarray:
        emb = np.asarray(self.encoder(texts), dtype=np.float64)
        if emb.ndim != 2 or emb.shape[0] != len(texts):
            msg = f"the encoder returned shape {emb.shape}, expected ({len(texts)}, dim)"
            raise ValueFunctionError(msg)
        return emb

    @staticmethod
    def _unit(emb: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        return emb / np.where(norms == 0.0, 1.0, norms)

    def _score(self, texts: list[str]) -> np.ndarray:
        return self._unit(self._embed(texts)) @ self.reference

    def _describe(self) -> dict[str, Any]:
        return {"model": callable_id(self.encoder, self._role("encoder")), "query": self.query}
