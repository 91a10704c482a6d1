"""Saving and loading fitted neural estimators without pickle.

A saved estimator is a zip archive of two members:

- ``params.json``: format tag, estimator class name, constructor parameters,
  fitted attributes (arrays as lists with their dtype), the module arguments
  and the training history;
- ``weights.pt``: the module's ``state_dict`` written by :func:`torch.save`.

:func:`load` parses the JSON, accepts only the registered neural
estimators (every concrete subclass of ``BaseSpectrumNet`` registers itself
when its class is defined; see ``registered_estimators``), their declared
private attributes (``_saved_private_attributes``) and optimizers of
:mod:`torch.optim`, and reads the
weights with ``torch.load(..., weights_only=True)``, which refuses anything but
tensors and plain containers: loading a file never executes code from it
(unlike :mod:`pickle` or :mod:`joblib`, which must only be used on trusted
files).
"""

import io
import json
import os
import zipfile

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ..utils import atomic_write
from ..utils._archive import read_zip_member
from ._base import registered_estimators
from ._torch_utils import preserved_torch_rng, torch_threads

__all__ = ["load", "save_estimator"]

FORMAT = "spectra_sklearn.nn/1"
_PARAMS = "params.json"
_WEIGHTS = "weights.pt"
_WHAT = "estimator archive written by spectra_sklearn.nn"
# Bounds on what the members may claim to hold, checked before reading them.
_MAX_PARAMS_BYTES = 1 << 26
_MAX_WEIGHTS_BYTES = 1 << 31


def _encode(value, what):
    """A JSON-able form of ``value``; arrays and dicts are tagged."""
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            items = value.tolist()
            if not all(isinstance(v, (str, int, float, bool)) for v in items):
                raise ValueError(f"Cannot save {what}: it holds non-JSON objects.")
            return {"__ndarray__": items, "dtype": "object"}
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k, what), _encode(v, what)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v, what) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(
        f"Cannot save {what}={value!r} as JSON; save() stores numbers, strings, "
        "lists and dicts (use pickle or joblib for other objects, on trusted files)."
    )


def _decode(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            dtype = np.dtype(value["dtype"])
            if dtype.kind not in "biufUSO":
                raise ValueError(f"Unsupported array dtype {dtype} in saved estimator.")
            return np.asarray(value["__ndarray__"], dtype=dtype)
        if "__dict__" in value:
            return {_decode(k): _decode(v) for k, v in value["__dict__"]}
        raise ValueError("Malformed saved estimator: unknown JSON object.")
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _optimizer_name(optimizer):
    name = getattr(optimizer, "__name__", None)
    if name is None or getattr(torch.optim, name, None) is not optimizer:
        raise ValueError(
            f"Cannot save optimizer={optimizer!r}: save() stores only optimizers of "
            "torch.optim by name (use pickle or joblib for others, on trusted files)."
        )
    return name


def _optimizer_class(name):
    optimizer = getattr(torch.optim, str(name), None)
    if not (isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer)):
        raise ValueError(f"Saved estimator names an unknown optimizer {name!r}.")
    return optimizer


def save_estimator(estimator, path):
    """Write ``estimator`` (fitted) to ``path``; see the module docstring."""
    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    params["optimizer"] = _optimizer_name(params["optimizer"])
    if not (params.get("random_state") is None
            or isinstance(params["random_state"], int)):
        params["random_state"] = None  # a RandomState instance: not needed to predict
    fitted = {
        name: _encode(value, name)
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_")
        and name not in ("net_", "history_")
    }
    private = {name: _encode(getattr(estimator, name), name)
               for name in estimator._saved_private_attributes if hasattr(estimator, name)}
    try:
        history = json.loads(json.dumps(list(estimator.history_)))
    except (TypeError, ValueError):
        history = None
    document = {
        "format": FORMAT,
        "estimator": type(estimator).__name__,
        "params": {k: _encode(v, k) for k, v in params.items()},
        "fitted": fitted,
        "private": private,
        "history": history,
    }
    weights = io.BytesIO()
    torch.save(estimator.net_.module_.state_dict(), weights)
    # Atomically: a failure (full disk, interrupt) never destroys an existing file.
    with atomic_write(path, "wb") as stream, zipfile.ZipFile(
            stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_PARAMS, json.dumps(document))
        archive.writestr(_WEIGHTS, weights.getvalue())


def load(path):
    """Load an estimator written by ``save``, never unpickling code.

    Parameters
    ----------
    path : str or path-like
        A file written by the ``save`` method of an estimator of
        :mod:`spectra_sklearn.nn`.

    Returns
    -------
    estimator
        The fitted estimator; its predictions equal those of the saved one.

    Raises
    ------
    ValueError
        For every file that cannot be loaded: not such an archive, a member
        larger than its bound (64 MiB of JSON, 2 GiB of weights), an
        estimator, parameter or optimizer outside the allowed ones, weights
        holding anything but named tensors (e.g. a pickled object), weights
        that do not fit the network the parameters describe (checked before
        the network is allocated), or an output layer whose width disagrees
        with ``classes_`` (or the regressor's targets).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from spectra_sklearn.nn import SpectrumCNNClassifier, load
    >>> X = np.random.default_rng(0).normal(size=(20, 16))
    >>> y = np.repeat(["a", "b"], 10)
    >>> clf = SpectrumCNNClassifier(max_epochs=2, n_filters=4, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.zip")
    >>> clf.save(path)
    >>> bool(np.array_equal(load(path).predict_proba(X), clf.predict_proba(X)))
    True
    """
    path = os.fspath(path)
    where = repr(path)
    try:
        return _load(path, where)
    except ValueError as exc:
        if where in str(exc):
            raise
        raise ValueError(f"{where}: {exc}") from None  # e.g. a parameter out of range
    except (KeyError, IndexError, AttributeError, TypeError, RuntimeError,
            RecursionError, OverflowError, MemoryError) as exc:
        # What a malformed document can provoke in the rebuilding below: one
        # error type for the caller, naming the file.
        raise ValueError(
            f"{where} is a damaged estimator archive and was not loaded "
            f"({type(exc).__name__}: {str(exc)[:200]})."
        ) from None


def _read_archive(path, where):
    """The parsed JSON document and the raw weights of the archive at ``path``."""
    try:
        with zipfile.ZipFile(path) as archive:
            raw = read_zip_member(archive, _PARAMS, _MAX_PARAMS_BYTES, where, what=_WHAT)
            weights = read_zip_member(archive, _WEIGHTS, _MAX_WEIGHTS_BYTES, where,
                                      what=_WHAT)
        document = json.loads(raw.decode("utf-8"))
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"{where} is not an estimator saved by spectra_sklearn.nn (expected a zip "
            f"archive with {_PARAMS} and {_WEIGHTS}): {exc}"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else type(document)
        raise ValueError(f"{where}: unknown format {found!r}; expected {FORMAT!r}.")
    for key in ("params", "fitted", "private"):
        if not isinstance(document.get(key), dict):
            raise ValueError(f"{where}: {_PARAMS} has no {key!r} object.")
    return document, weights


def _read_state_dict(weights, device, where):
    """The weights as a dict of tensors, read without unpickling code."""
    try:
        state = torch.load(io.BytesIO(weights), map_location=device, weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError or RuntimeError
        raise ValueError(
            f"{where}: the weights hold something other than tensors and were not "
            f"loaded ({type(exc).__name__}: {str(exc).splitlines()[0]})."
        ) from None
    if not (isinstance(state, dict)
            and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                    for k, v in state.items())):
        raise ValueError(f"{where}: {_WEIGHTS} is not a state dict of named tensors.")
    return state


def _check_module_matches(estimator, state, where):
    """Refuse weights or a fitted state that disagree with the saved network.

    The module is built on torch's ``meta`` device first (no memory is
    allocated), so an archive whose parameters ask for a gigantic network
    is refused before anything is allocated: the network must have exactly
    the tensors, with the shapes, that the archive's weights hold. The
    width of its output layer must match the fitted labels (``classes_``
    or the regressor's targets), which would otherwise be silently
    misassigned.
    """
    module_params = estimator._net_spec["module_params"]
    if not isinstance(module_params, dict):
        raise ValueError(f"{where}: the module parameters are not an object.")
    with torch.device("meta"):
        module = estimator._module_class(**module_params)
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        wrong = sorted(set(expected).symmetric_difference(found)) or sorted(
            k for k in expected if expected[k] != found[k])
        raise ValueError(
            f"{where}: the weights do not fit the network its parameters describe "
            f"(tensors differing in name or shape: {', '.join(wrong[:5])}).")
    n_outputs = module_params.get("n_outputs")
    labels = _n_fitted_outputs(estimator)
    if n_outputs is not None and labels is not None and n_outputs != labels:
        raise ValueError(
            f"{where}: the network has {n_outputs} outputs but the fitted estimator "
            f"has {labels} classes or targets; the archive is inconsistent.")


def _n_fitted_outputs(estimator):
    """Width of the output layer the fitted attributes imply (None: no rule)."""
    if hasattr(estimator, "classes_"):
        return len(estimator.classes_)
    if hasattr(estimator, "target_values_"):
        return len(estimator.target_values_)
    if hasattr(estimator, "n_outputs_"):
        return int(estimator.n_outputs_)
    return None


def _load(path, where):
    document, weights = _read_archive(path, where)
    registry = registered_estimators()
    name = document.get("estimator")
    if not isinstance(name, str) or name not in registry:
        raise ValueError(f"{where} names estimator {name!r}; loadable are "
                         f"{sorted(registry)}.")
    cls = registry[name]
    params = {k: _decode(v) for k, v in document["params"].items()}
    params["optimizer"] = _optimizer_class(params.get("optimizer"))
    unknown = sorted(set(params) - set(cls._get_param_names()))
    if unknown:
        raise ValueError(f"{where}: unknown parameters of {name}: {', '.join(unknown)}.")
    estimator = cls(**params)
    estimator._validate_params()
    for attr, value in document["fitted"].items():
        if not attr.endswith("_") or attr.startswith("_"):
            raise ValueError(f"{where}: unexpected fitted attribute {attr!r}.")
        setattr(estimator, attr, _decode(value))
    for attr, value in document["private"].items():
        if attr not in cls._saved_private_attributes:
            raise ValueError(f"{where}: unexpected attribute {attr!r}.")
        setattr(estimator, attr, _decode(value))
    state = _read_state_dict(weights, estimator.device, where)
    _check_module_matches(estimator, state, where)
    net = estimator._make_net(
        estimator._net_class, estimator._module_class,
        module_params=estimator._net_spec["module_params"],
        criterion=estimator._criterion,
    )
    with torch_threads(estimator.n_threads), preserved_torch_rng(estimator.device):
        net.initialize()
    net.module_.load_state_dict(state)
    net.module_.eval()
    history = document.get("history")
    if history is not None:
        if not isinstance(history, list):
            raise ValueError(f"{where}: the training history is not a list.")
        net.history = History(history)
    estimator.net_ = net
    estimator.history_ = net.history
    return estimator
