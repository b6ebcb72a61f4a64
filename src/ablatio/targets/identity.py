"""Identity strings of models and data, for the fingerprints of the model adapters.

A fingerprint must change whenever the values it stands for could change, so the digests here
are taken over *all* of a model's parameters (not a sample), over the exact bytes of the data
and over every setting that enters the value. Every adapter builds its fingerprint from
:func:`digest` over a dict of these parts, so that one shared helper can later replace this
module without touching the adapters.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

__all__ = ["array_id", "digest", "estimator_id"]

#: Hex characters kept from a SHA-256 digest.
DIGEST_CHARS = 32
#: Deepest nesting of containers and objects walked by :func:`estimator_id`.
MAX_DEPTH = 64


def digest(parts: dict[str, Any]) -> str:
    """SHA-256 (first :data:`DIGEST_CHARS` hex characters) of a JSON dict of identity parts."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:DIGEST_CHARS]


def array_id(values: Any) -> str:
    """Digest of an array's shape, dtype and exact contents (DataFrames: columns and dtypes too)."""
    sha = hashlib.sha256()
    columns = getattr(values, "columns", None)
    if columns is not None:
        sha.update(json.dumps([str(c) for c in columns]).encode())
        sha.update(json.dumps([str(t) for t in values.dtypes]).encode())
        values = values.to_numpy()
    arr = np.asarray(values)
    sha.update(f"{arr.shape}:{arr.dtype}".encode())
    if arr.dtype == object:
        sha.update(json.dumps(arr.tolist(), default=repr).encode())
    else:
        sha.update(np.ascontiguousarray(arr).tobytes())
    return sha.hexdigest()[:DIGEST_CHARS]


def _torch_id(module: Any) -> str:
    sha = hashlib.sha256(type(module).__qualname__.encode())
    for name, tensor in module.state_dict().items():
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        sha.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        try:
            sha.update(flat.numpy().tobytes())
        except TypeError:  # dtypes numpy lacks (bfloat16): their float32 values
            sha.update(flat.float().numpy().tobytes())
    return sha.hexdigest()[:DIGEST_CHARS]


def estimator_id(model: Any) -> str:
    """Identity of a model: class plus a digest of all of its parameters.

    * an object with ``fingerprint()`` (ablatio's wrappers): that string;
    * a torch module: every tensor of its ``state_dict`` (names, shapes, dtypes, values);
    * a bound method (``model.predict_proba``): the owner's identity and the method's name;
    * a plain function: its qualified name and a digest of its code;
    * any other object (scikit-learn estimators, fitted or not): its class and a canonical
      walk of its state (``__getstate__``: hyper-parameters and every fitted attribute, arrays
      by their bytes, nested estimators and trees recursively).
    """
    own = getattr(model, "fingerprint", None)
    if callable(own):
        return str(own())
    if hasattr(model, "state_dict") and hasattr(model, "parameters"):
        return f"torch:{type(model).__qualname__}:{_torch_id(model)}"
    owner = getattr(model, "__self__", None)
    if owner is not None and not isinstance(owner, type) and hasattr(model, "__func__"):
        return f"{estimator_id(owner)}.{model.__func__.__name__}"
    code = getattr(model, "__code__", None)
    if code is not None:
        body = hashlib.sha256(code.co_code + repr(code.co_consts).encode()).hexdigest()
        return f"function:{model.__module__}.{model.__qualname__}:{body[:DIGEST_CHARS]}"
    sha = hashlib.sha256()
    _feed(sha, model, {}, 0)
    return f"{type(model).__module__}.{type(model).__qualname__}:{sha.hexdigest()[:DIGEST_CHARS]}"


def _feed(sha: Any, obj: Any, path: dict[int, Any], depth: int) -> None:
    """Feed a canonical serialisation of ``obj`` (state, arrays, containers) into ``sha``.

    The result is a function of the value alone: unlike pickle bytes it does not depend on
    object identity, sharing or memo order, so a model reloaded from disk or copied gets the
    same identity. ``path`` holds the containers being walked (kept alive, so no temporary
    state reuses an id), only to cut reference cycles.
    """
    if obj is None or isinstance(obj, bool | int | float | complex | str | bytes | np.generic):
        sha.update(f"{type(obj).__name__}:{obj!r};".encode())
        return
    if isinstance(obj, np.ndarray):
        sha.update(f"nd:{obj.shape}:{obj.dtype};".encode())
        if obj.dtype == object:
            for item in obj.reshape(-1):
                _feed(sha, item, path, depth + 1)
        elif obj.dtype.names:  # field by field: the padding bytes between fields are garbage
            for name in obj.dtype.names:
                sha.update(f"field:{name};".encode())
                _feed(sha, obj[name], path, depth + 1)
        else:
            sha.update(np.ascontiguousarray(obj).tobytes())
        return
    if id(obj) in path or depth > MAX_DEPTH:
        sha.update(f"cycle:{type(obj).__qualname__};".encode())
        return
    path[id(obj)] = obj
    try:
        _feed_container(sha, obj, path, depth)
    finally:
        del path[id(obj)]


def _feed_container(sha: Any, obj: Any, path: dict[int, Any], depth: int) -> None:
    if isinstance(obj, dict):
        sha.update(b"dict{")
        for key in sorted(obj, key=repr):
            _feed(sha, key, path, depth + 1)
            _feed(sha, obj[key], path, depth + 1)
        sha.update(b"}")
        return
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=repr) if isinstance(obj, set | frozenset) else obj
        sha.update(f"{type(obj).__name__}[".encode())
        for item in items:
            _feed(sha, item, path, depth + 1)
        sha.update(b"]")
        return
    sha.update(f"obj:{type(obj).__module__}.{type(obj).__qualname__}(".encode())
    if isinstance(obj, np.random.RandomState):
        _feed(sha, obj.get_state(), path, depth + 1)
    elif callable(getattr(obj, "__getstate__", None)) and not isinstance(obj, type):
        try:
            state = obj.__getstate__()
        except TypeError:  # objects that refuse to be serialised: the type name only
            state = None
        _feed(sha, state, path, depth + 1)
    sha.update(b")")
