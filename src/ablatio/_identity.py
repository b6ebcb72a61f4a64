"""Identity of a value function: the description that determines its values.

A cached value may only be returned for the same question, so the ablation cache is keyed by a
fingerprint of everything that determines the values. :func:`callable_id` is the one place
where a callable's identity is established; :class:`~ablatio.games.game.Game` and every
target build their fingerprints from it and :func:`digest`.

The rule:

* an object with a ``fingerprint()`` method (every built-in target, model wrapper and
  synthetic game) is identified by it alone (a wrapper that returns the wrapped target's
  fingerprint shares its cache);
* a function defined with ``def`` is identified by its module, qualified name and a digest of
  its code (bytecode, constants, names used, defaults and the values its closure captured), so
  a redefinition with other code is a different identity;
* a ``functools.partial`` or bound method is identified when its function and its arguments
  (or its ``self``) are;
* a library or built-in function (``numpy.sum``, ``len``) is identified by its import path and
  its package's version;
* a lambda, a callable object without ``fingerprint()``, or a closure / partial holding an
  object that cannot be described has no identity: :class:`GameIdentityError` says how to
  state one (``name=`` and ``version=``).

Models and data given to the adapters (:func:`estimator_id`, :func:`array_id`) are identified
by *all* their parameters and the exact bytes of the data, never by a sample.

Globals a function reads are not part of its identity (e.g. a weight matrix in a notebook):
state the identity with ``version=`` and change it when they change.
"""

from __future__ import annotations

import functools
import hashlib
import json
import numbers
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from ablatio.exceptions import GameIdentityError

__all__ = ["array_id", "callable_id", "digest", "estimator_id", "identity_stated"]

#: True while the user has stated the identity (``name=`` and ``version=``): parts that cannot
#: be identified are then recorded as stated instead of refused.
_STATED: ContextVar[bool] = ContextVar("ablatio_identity_stated", default=False)


#: Hex characters kept from a SHA-256 digest.
DIGEST_CHARS = 32


class _Unidentifiable(Exception):
    """Internal: why a callable or value has no stable identity."""


def digest(parts: Any) -> str:
    """32 hex digits of sha256 over the canonical JSON of ``parts`` (keys sorted)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:DIGEST_CHARS]


@contextmanager
def identity_stated(stated: bool = True) -> Iterator[None]:
    """Inside the block, unidentifiable callables are recorded as "stated by the user"."""
    token = _STATED.set(stated)
    try:
        yield
    finally:
        _STATED.reset(token)


def callable_id(fn: Any, role: str = "the value function") -> str:
    """A stable string that changes whenever ``fn``'s definition changes.

    Raises
    ------
    GameIdentityError
        When the identity cannot be established (a lambda, a callable object without
        ``fingerprint()``, a closure or partial holding an undescribable object), unless the
        user stated the identity (:func:`identity_stated`). The message names ``role``.
    """
    try:
        try:
            return _identify(fn)
        except RecursionError:
            msg = "a closure or partial that refers to itself"
            raise _Unidentifiable(msg) from None
    except _Unidentifiable as exc:
        if _STATED.get():
            return "stated-by-name-and-version"
        msg = (
            f"cannot establish the identity of {role}: it is {exc}. A cache keyed by it could "
            "return values computed for another function. Define it with `def` (its code is "
            "then part of the identity), give it a fingerprint() method, or state the identity "
            "yourself with name= and version= (Game(fn, n, cache=..., name='my-game', "
            "version='1'), same for ablatio.explain); change version whenever the values change."
        )
        raise GameIdentityError(msg) from None


def _identify(fn: Any) -> str:
    if fn is None:
        return "None"
    own = getattr(fn, "fingerprint", None)
    if callable(own) and not isinstance(fn, type):
        return f"fingerprint:{own()}"
    if isinstance(fn, functools.partial):
        args = _value_id(fn.args)
        keywords = _value_id(fn.keywords)
        return f"partial({_identify(fn.func)}, {args}, {keywords})"
    if isinstance(fn, types.MethodType):
        func = fn.__func__
        inner = _function_id(func) if isinstance(func, types.FunctionType) else _identify(func)
        return f"{_owner_id(fn.__self__)}.{inner}"
    if isinstance(fn, types.FunctionType):
        return _function_id(fn)
    if isinstance(fn, types.BuiltinFunctionType):
        owner = getattr(fn, "__self__", None)
        if owner is not None and not isinstance(owner, types.ModuleType):
            return f"{_owner_id(owner)}.{fn.__name__}"
    if isinstance(fn, np.ufunc):
        return f"builtin:numpy.{fn.__name__}@{np.__version__}"
    if isinstance(fn, type):
        return f"class:{fn.__module__}.{fn.__qualname__}"
    library = _importable_id(fn)
    if library is not None:
        return library
    msg = f"an object of class {type(fn).__qualname__} without a fingerprint() method"
    raise _Unidentifiable(msg)


def _importable_id(fn: Any) -> str | None:
    """``builtin:module.name@version`` if ``fn`` is what its import path names, else None."""
    module_name = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not isinstance(module_name, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    module = sys.modules.get(module_name)
    if module is None:
        return None
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is not fn:
        return None
    package = sys.modules.get(module_name.split(".")[0])
    version = getattr(package, "__version__", sys.version.split()[0])
    return f"builtin:{module_name}.{qualname}@{version}"


def _owner_id(owner: Any) -> str:
    """Identity of the ``self`` of a bound method."""
    if isinstance(owner, types.ModuleType):
        return f"module:{owner.__name__}"
    if isinstance(owner, type):
        return f"class:{owner.__module__}.{owner.__qualname__}"
    own = getattr(owner, "fingerprint", None)
    if callable(own):
        return f"{type(owner).__qualname__}:{own()}"
    msg = f"a method of a {type(owner).__qualname__} object that has no fingerprint() method"
    raise _Unidentifiable(msg)


def _function_id(fn: types.FunctionType) -> str:
    """Module, qualified name and code digest of a ``def`` function (lambdas refused)."""
    if fn.__name__ == "<lambda>":
        msg = "a lambda (it has no name that could tell two lambdas apart)"
        raise _Unidentifiable(msg)
    h = hashlib.sha256()
    _hash_code(fn.__code__, h)
    h.update(_value_id(fn.__defaults__).encode())
    h.update(_value_id(fn.__kwdefaults__).encode())
    if fn.__closure__:
        try:
            cells = [cell.cell_contents for cell in fn.__closure__]
        except ValueError:  # an empty cell: the closure is not finished
            msg = f"a closure ({fn.__qualname__}) over a variable that is not yet assigned"
            raise _Unidentifiable(msg) from None
        try:
            h.update(_value_id(cells).encode())
        except _Unidentifiable as exc:
            msg = f"a closure ({fn.__qualname__}) capturing {exc}"
            raise _Unidentifiable(msg) from None
    return f"{fn.__module__}.{fn.__qualname__}#{h.hexdigest()[:16]}"


def _hash_code(code: types.CodeType, h: Any) -> None:
    """Feed the bytecode, constants (recursively) and names of ``code`` into ``h``."""
    h.update(code.co_code)
    h.update(repr((code.co_names, code.co_varnames, code.co_freevars)).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _hash_code(const, h)
        elif isinstance(const, frozenset):
            h.update(repr(sorted(repr(c) for c in const)).encode())
        else:
            h.update(repr(const).encode())


def _value_id(value: Any) -> str:
    """A stable description of an argument, default or captured value."""
    if value is None or isinstance(value, bool | str | numbers.Integral | np.generic):
        return repr(value)
    if isinstance(value, float | complex):
        return repr(value)
    if isinstance(value, bytes):
        return f"bytes:{hashlib.sha256(value).hexdigest()[:16]}"
    if isinstance(value, tuple | list):
        return "[" + ",".join(_value_id(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted((repr(k), _value_id(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            msg = "an object array"
            raise _Unidentifiable(msg)
        raw = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]
        return f"array:{value.dtype.str}:{value.shape}:{raw}"
    if callable(value) or callable(getattr(value, "fingerprint", None)):
        return _identify(value)
    msg = f"a {type(value).__qualname__} object that cannot be described"
    raise _Unidentifiable(msg)


#: Deepest nesting of containers and objects walked by :func:`estimator_id`.
MAX_DEPTH = 64


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
