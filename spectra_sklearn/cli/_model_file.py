"""Saving and loading the fitted pipelines of ``spectra-sklearn fit`` / ``predict``.

A model file is a joblib pickle of a dict: the fitted pipeline, the package
version that wrote it and how it was trained. Unpickling runs code named in
the file, so ``predict`` must only be given model files you made or trust
(the same rule as for any scikit-learn model saved with joblib).
"""

import os

import joblib

from ..utils import atomic_write

__all__ = ["MODEL_FILE_KIND", "load_model", "save_model"]

MODEL_FILE_KIND = "spectra_sklearn fitted pipeline"


def save_model(path, pipeline, *, info, overwrite=False):
    """Write ``pipeline`` and ``info`` to ``path`` atomically.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False (nothing is written).
    """
    from .. import __version__

    payload = {"kind": MODEL_FILE_KIND, "version": __version__, "info": dict(info),
               "pipeline": pipeline}
    with atomic_write(path, "wb", overwrite=overwrite) as f:
        joblib.dump(payload, f)
    return path


def load_model(path):
    """Return ``(pipeline, info)`` from a file written by :func:`save_model`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a spectra_sklearn model file.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file {os.fspath(path)!r} does not exist")
    try:
        payload = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign file: say which
        raise ValueError(
            f"{os.fspath(path)!r} is not a model file written by 'spectra-sklearn fit' "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(payload, dict) or payload.get("kind") != MODEL_FILE_KIND:
        raise ValueError(
            f"{os.fspath(path)!r} is not a model file written by 'spectra-sklearn fit'"
        )
    return payload["pipeline"], payload["info"]
