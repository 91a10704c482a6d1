"""Torch run-time helpers and target encodings of :mod:`spectra_sklearn.nn`.

The torch thread count and random seed, set for the duration of a call and
restored afterwards; flux as float32; encoded class labels and class weights;
the robust input location and scale.
"""

import contextlib

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight

__all__ = ["as_float32", "class_weight_tensor", "draw_seed", "encode_labels",
           "preserved_torch_rng", "robust_location_scale", "torch_seeded", "torch_threads"]


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run the block with ``n_threads`` torch intra-op threads, then restore.

    Parameters
    ----------
    n_threads : int or None
        Threads to use; ``None`` leaves torch's setting alone.
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    if previous != n_threads:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def draw_seed(random_state):
    """Draw a torch seed in ``[0, 2**31 - 1)`` from ``random_state``.

    An int gives always the same seed; ``None`` draws from numpy's global
    random state; a ``RandomState`` instance is advanced by one draw.
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def preserved_torch_rng(device="cpu"):
    """Context manager restoring torch's random generators' states on exit.

    Training draws from torch's global generator (initialisation, shuffling,
    dropout, augmentation), so fit runs inside it and leaves the caller's
    random stream unchanged.
    """
    on_cpu = torch.device(device).type == "cpu"
    return torch.random.fork_rng(devices=[] if on_cpu else None)


@contextlib.contextmanager
def torch_seeded(seed, device="cpu"):
    """Run the block with torch's random generators seeded with ``seed``.

    The generators' previous states are restored afterwards.
    """
    with preserved_torch_rng(device):
        torch.manual_seed(seed)
        yield


def as_float32(X):
    """Return ``X`` as a C-contiguous, writeable float32 array.

    Writeable because torch refuses to share memory with read-only arrays
    (memory maps, ``joblib`` input) without a warning.
    """
    return np.require(X, dtype=np.float32, requirements=["C", "W"])


def encode_labels(estimator, y):
    """Encode class labels to int64 ``0 .. n_classes - 1``.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The sorted distinct labels.
    y_encoded : ndarray of shape (n_samples,), dtype int64

    Raises
    ------
    ValueError
        If ``y`` holds fewer than two classes.
    """
    encoder = LabelEncoder().fit(y)
    classes = encoder.classes_
    if classes.size < 2:
        raise ValueError(
            f"{type(estimator).__name__} needs samples of at least 2 classes in y; "
            f"got {classes.size} class: {classes.tolist()!r}."
        )
    return classes, encoder.transform(y).astype(np.int64)


def class_weight_tensor(class_weight, classes, y):
    """Per-class loss weights, in the order of ``classes``, or ``None``.

    ``class_weight`` is ``None``, ``'balanced'`` (``n_samples / (n_classes *
    count)``, King & Zeng 2001) or a dict ``{label: weight}`` (missing
    labels weigh 1), as in :func:`sklearn.utils.class_weight.compute_class_weight`.
    """
    if class_weight is None:
        return None
    weights = compute_class_weight(class_weight, classes=classes, y=y)
    return torch.as_tensor(weights, dtype=torch.float32)


def robust_location_scale(X):
    """Median and normal-consistent IQR of the finite values of ``X`` (std if IQR is 0)."""
    finite = np.isfinite(X)
    if not finite.all():
        X = X[finite]
    if X.size == 0:
        return 0.0, 1.0
    q25, median, q75 = np.percentile(X, [25, 50, 75])
    scale = (q75 - q25) / 1.349
    if not (np.isfinite(scale) and scale > 0):
        scale = float(np.std(X, dtype=np.float64))
    if not (np.isfinite(scale) and scale > 0):
        scale = 1.0
    return float(median), float(scale)
