"""Saving and loading the fitted pipelines of ``spectra-sklearn fit`` / ``predict``.

A model file is a zip archive whose loading cannot run code from the file:

``spectra_sklearn_model.json``
    ``{"kind", "version", "info", "nets"}``: what the file is, the package
    version that wrote it, how the pipeline was trained, the network members.
``pipeline.skops``
    The fitted pipeline in :mod:`skops.io`, the scikit-learn ecosystem's
    secure format (Noy et al., skops), with each neural estimator replaced by
    a placeholder. :func:`load_model` loads it with an explicit list of
    trusted types: this package's classes (the neural estimators excepted),
    scikit-learn's, and the numpy and built-in types listed in
    ``TRUSTED_TYPES``; a file naming any other type is refused before
    anything in it is built.
``nets/net_<i>.zip``
    Each neural estimator in the format of its own ``save`` method (JSON
    parameters and ``torch.load(weights_only=True)`` weights; see
    :func:`spectra_sklearn.nn.load`).

Files written by older versions (a joblib pickle) load only with
``trust_pickle=True`` (``--trust-pickle`` on the command line): unpickling
runs code named in the file. Every write goes through
:func:`~spectra_sklearn.utils.atomic_write`.
"""

import copy
import json
import os
import tempfile
import zipfile

from ..utils import atomic_write
from ..utils._archive import read_zip_member

__all__ = ["MODEL_FILE_KIND", "TRUSTED_TYPES", "add_trust_pickle_option", "load_model",
           "save_model"]

MODEL_FILE_KIND = "spectra_sklearn fitted pipeline"
_DOCUMENT = "spectra_sklearn_model.json"
_PIPELINE = "pipeline.skops"
_FORMAT = 2  # 1 was the joblib pickle

# Bounds on what a member may claim to hold, checked before reading it.
_MAX_DOCUMENT_BYTES = 1 << 20
_MAX_PIPELINE_BYTES = 1 << 28
_MAX_NET_BYTES = 1 << 31
_MAX_NETS = 1000
_WHAT = "model file written by 'spectra-sklearn fit'"

# Types skops does not trust by default that our pipelines hold, besides the
# classes of spectra_sklearn and scikit-learn (trusted by module, below).
TRUSTED_TYPES = (
    "builtins.bytes",
    "builtins.slice",
    "collections.OrderedDict",
    "collections.defaultdict",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int32",
    "numpy.int64",
    "numpy.bool_",
    "numpy.str_",
    "numpy.random._generator.Generator",
    "numpy.random._pcg64.PCG64",
    "numpy.random.mtrand.RandomState",
    "numpy.random._mt19937.MT19937",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._csr.csr_array",
)


def add_trust_pickle_option(parser):
    """The ``--trust-pickle`` flag of the commands that load a model file."""
    parser.add_argument("--trust-pickle", action="store_true",
                        help="also load a model file of an older version (a joblib "
                             "pickle, which runs code named in it): only files you "
                             "made or trust")


class NeuralNetPlaceholder:
    """Stands in the skops part of a model file for neural estimator ``index``."""

    def __init__(self, index=0):
        self.index = index

    def __repr__(self):
        return f"NeuralNetPlaceholder({self.index})"


class UnitPlaceholder:
    """Stands in the skops part for an astropy unit or Quantity (skops cannot
    store them): the unit as a string, and the Quantity's value if any."""

    def __init__(self, unit="", value=None):
        self.unit = unit
        self.value = value

    def restore(self, where):
        from astropy import units as u

        try:
            unit = u.Unit(self.unit, parse_strict="raise")
        except (ValueError, TypeError) as exc:
            raise _not_ours(where, f"a bad unit {self.unit!r}: {exc}") from None
        return unit if self.value is None else u.Quantity(self.value, unit)


def _is_trusted(name):
    if name.startswith("spectra_sklearn.nn."):
        return False  # the networks travel as their own weights-only archives
    return name.startswith(("spectra_sklearn.", "sklearn.")) or name in TRUSTED_TYPES


def _walk(obj):
    """Every object reachable from ``obj`` through containers and the attributes
    of scikit-learn / spectra_sklearn objects (not into units or networks)."""
    from astropy import units as u

    from ..nn._base import BaseSpectrumNet

    seen, stack = set(), [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (str, bytes, int, float, type(None))):
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, (BaseSpectrumNet, u.UnitBase, u.Quantity, type)):
            continue
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "__dict__") and type(item).__module__.startswith(
                ("sklearn.", "spectra_sklearn.")):
            stack.extend(vars(item).values())


def save_model(path, pipeline, *, info, overwrite=False):
    """Write ``pipeline`` and ``info`` to ``path`` atomically (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    pipeline : estimator
        The fitted pipeline.
    info : dict
        JSON-serialisable facts about the training (shown by ``report``).
    overwrite : bool, default=False
        Replace an existing file.

    Returns
    -------
    path

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False (nothing is written).
    ValueError
        If ``info`` is not JSON-serialisable.
    """
    import skops.io as sio
    from astropy import units as u

    from .. import __version__
    from ..nn._base import BaseSpectrumNet

    nets, memo = [], {}
    for item in _walk(pipeline):
        if isinstance(item, BaseSpectrumNet):
            memo[id(item)] = NeuralNetPlaceholder(len(nets))
            nets.append(item)
        elif isinstance(item, u.Quantity):
            memo[id(item)] = UnitPlaceholder(item.unit.to_string(), item.value.copy())
        elif isinstance(item, u.UnitBase):
            memo[id(item)] = UnitPlaceholder(item.to_string())
    # deepcopy with the memo pre-filled puts a placeholder wherever one was
    stripped = copy.deepcopy(pipeline, memo)
    try:
        document = json.dumps({"kind": MODEL_FILE_KIND, "format": _FORMAT,
                               "version": __version__, "info": dict(info),
                               "nets": len(nets)})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the model file's info is not JSON-serialisable: {exc}") from None
    net_files = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, net in enumerate(nets):
            net_path = os.path.join(tmp, f"net_{i}.zip")
            net.save(net_path)
            with open(net_path, "rb") as f:
                net_files.append(f.read())
    with atomic_write(path, "wb", overwrite=overwrite) as f, zipfile.ZipFile(
            f, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_DOCUMENT, document)
        archive.writestr(_PIPELINE, sio.dumps(stripped))
        for i, data in enumerate(net_files):
            archive.writestr(f"nets/net_{i}.zip", data)
    return path


def _not_ours(where, why):
    return ValueError(f"{where} is not a model file written by 'spectra-sklearn fit' ({why})")


def _load_safe(path, where):
    import skops.io as sio

    from ..nn import load as load_net

    try:
        with zipfile.ZipFile(path) as archive:
            raw = read_zip_member(archive, _DOCUMENT, _MAX_DOCUMENT_BYTES, where,
                                  what=_WHAT)
            try:
                document = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise _not_ours(where, f"unreadable {_DOCUMENT}: {exc}") from None
            if not isinstance(document, dict) or document.get("kind") != MODEL_FILE_KIND:
                raise _not_ours(where, f"{_DOCUMENT} does not say {MODEL_FILE_KIND!r}")
            n_nets = document.get("nets")
            if not isinstance(n_nets, int) or not 0 <= n_nets <= _MAX_NETS:
                raise _not_ours(where, f"bad number of networks {n_nets!r}")
            info = document.get("info")
            if not isinstance(info, dict):
                raise _not_ours(where, "no training information")
            data = read_zip_member(archive, _PIPELINE, _MAX_PIPELINE_BYTES, where,
                                   what=_WHAT)
            nets_data = [read_zip_member(archive, f"nets/net_{i}.zip", _MAX_NET_BYTES, where,
                                         what=_WHAT)
                         for i in range(n_nets)]
    except zipfile.BadZipFile as exc:
        raise _not_ours(where, f"a damaged zip archive: {exc}") from None
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # a damaged skops member
        raise _not_ours(where, f"unreadable {_PIPELINE}: {type(exc).__name__}: {exc}"
                        ) from None
    refused = sorted(name for name in untrusted if not _is_trusted(name))
    if refused:
        raise ValueError(
            f"{where} names types that are not trusted, so it is not loaded (loading "
            f"could run code from the file): {', '.join(refused)}")
    try:
        stripped = sio.loads(data, trusted=untrusted)
    except Exception as exc:
        raise _not_ours(where, f"unreadable {_PIPELINE}: {type(exc).__name__}: {exc}"
                        ) from None
    nets = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, net_data in enumerate(nets_data):
            net_path = os.path.join(tmp, f"net_{i}.zip")
            with open(net_path, "wb") as f:
                f.write(net_data)
            try:
                nets.append(load_net(net_path))
            except Exception as exc:  # nn.load promises ValueError; a damaged archive
                raise ValueError(f"{where}: network {i}: {type(exc).__name__}: {exc}"
                                 ) from None
    placeholders = {}
    for item in _walk(stripped):
        if isinstance(item, NeuralNetPlaceholder):
            if not (isinstance(item.index, int) and 0 <= item.index < len(nets)):
                raise _not_ours(where, f"a placeholder for network {item.index!r}")
            placeholders[id(item)] = nets[item.index]
        elif isinstance(item, UnitPlaceholder):
            placeholders[id(item)] = item.restore(where)
    pipeline = copy.deepcopy(stripped, placeholders) if placeholders else stripped
    if not (hasattr(pipeline, "predict") or hasattr(pipeline, "transform")):
        raise _not_ours(where, f"it holds a {type(pipeline).__name__}, not a fitted pipeline")
    return pipeline, info


def load_model(path, *, trust_pickle=False):
    """Return ``(pipeline, info)`` from a file written by :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    trust_pickle : bool, default=False
        Also load a model file of an older version (a joblib pickle), which
        runs code named in the file: only for files you made or trust.

    Returns
    -------
    pipeline : estimator
    info : dict

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a spectra_sklearn model file, names types that are
        not trusted, holds a damaged network archive, or is a pickle and
        ``trust_pickle`` is False.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file {os.fspath(path)!r} does not exist")
    where = repr(os.fspath(path))
    if not os.path.isfile(path):
        raise ValueError(f"model file {where} is not a regular file")
    if zipfile.is_zipfile(path):
        return _load_safe(path, where)
    with open(path, "rb") as f:
        head = f.read(6)
    if not head.startswith(_PICKLE_MAGIC):
        raise _not_ours(where, "neither a zip archive nor a joblib pickle")
    if not trust_pickle:
        raise ValueError(
            f"{where} is not a safe model file: it looks like a joblib pickle (the format "
            "of older 'spectra-sklearn fit'), and loading a pickle runs code named in it. "
            "If you made or trust this file, load it with trust_pickle=True "
            "(--trust-pickle on the command line) and save it again.")
    return _load_pickle(path, where)


# The first bytes of a pickle (protocol >= 2) and of joblib's compressed pickles
# (zlib, gzip, bz2, xz, lzma).
_PICKLE_MAGIC = (b"\x80", b"\x78", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00")


def _load_pickle(path, where):
    import joblib

    try:
        payload = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign file: say which
        raise _not_ours(where, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("kind") != MODEL_FILE_KIND:
        raise _not_ours(where, "no model-file tag")
    if "pipeline" not in payload:
        raise _not_ours(where, "the tag is right but it holds no pipeline")
    info = payload.get("info")
    return payload["pipeline"], dict(info) if isinstance(info, dict) else {}
