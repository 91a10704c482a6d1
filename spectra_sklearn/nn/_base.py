"""Machinery shared by the skorch-backed estimators of :mod:`spectra_sklearn.nn`.

Each estimator is a plain scikit-learn estimator with an explicit parameter
list that builds its skorch net inside ``fit`` (``net_``). What they all need
lives here: the torch thread count and random seed set for the duration of a
call and restored afterwards, float32 flux, encoded labels, class weights, and
building and fitting the net.
"""

import contextlib
from numbers import Integral, Real

import numpy as np
import torch
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit
from sklearn.base import BaseEstimator
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.class_weight import compute_class_weight

__all__ = []


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

    Even prediction draws from torch's global generator (every ``DataLoader``
    iteration draws a base seed), so both fit and predict run inside it and
    leave the caller's random stream unchanged.
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


def _silent(*args, **kwargs):
    """A picklable ``print`` that prints nothing (skorch callback sink)."""


class BaseSpectrumNet(BaseEstimator):
    """Parameters and fitting shared by the skorch-backed estimators.

    Subclasses define their own parameters on top of these, build their
    module arguments and call :meth:`_fit_net` inside ``fit``; post-fit
    methods call :meth:`_forward`.
    """

    _parameter_constraints: dict = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [callable],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
    }

    def _fit_net(
        self, net_class, module, X, y, *, module_params, criterion,
        criterion_params=None, stratified=False,
    ):
        """Build ``net_class`` (a skorch net), fit it on ``(X, y)``, return it.

        Seeds torch from ``self.random_state`` and uses ``self.n_threads``
        threads for the duration of the fit only. With ``early_stopping``, a
        (stratified) ``validation_fraction`` of the samples is held out and
        training stops after ``n_iter_no_change`` epochs without a lower
        validation loss; the weights of the best epoch are kept.
        """
        try:
            torch.device(self.device)
        except RuntimeError as exc:
            raise ValueError(
                f"The 'device' parameter of {type(self).__name__} must be a torch "
                f"device string such as 'cpu' or 'cuda:0'. Got {self.device!r} "
                f"instead ({exc})."
            ) from None
        seed = draw_seed(self.random_state)
        callbacks = []
        if self.early_stopping:
            if stratified:
                self._check_stratified_split(y)
            train_split = ValidSplit(
                self.validation_fraction, stratified=stratified, random_state=seed
            )
            callbacks.append((
                "early_stopping",
                EarlyStopping(
                    monitor="valid_loss",
                    patience=self.n_iter_no_change,
                    load_best=True,
                    sink=print if self.verbose else _silent,
                ),
            ))
        else:
            train_split = None
        params = {f"module__{k}": v for k, v in module_params.items()}
        params.update(
            {f"criterion__{k}": v for k, v in (criterion_params or {}).items()}
        )
        net = net_class(
            module,
            criterion=criterion,
            optimizer=self.optimizer,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            iterator_train__shuffle=True,
            device=self.device,
            verbose=int(self.verbose),
            **params,
        )
        with torch_threads(self.n_threads), torch_seeded(seed, self.device):
            net.fit(X, y)
        return net

    def _check_stratified_split(self, y):
        """Raise a clear error when the early-stopping split cannot be stratified."""
        n_samples = len(y)
        counts = np.bincount(y)
        n_valid = int(np.ceil(self.validation_fraction * n_samples))
        n_train = n_samples - n_valid
        if counts.min() < 2 or min(n_valid, n_train) < counts.size:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the {n_samples} samples ({n_valid}) "
                f"with every one of the {counts.size} classes in both parts, which "
                f"needs at least 2 samples per class (the rarest has {counts.min()}) "
                f"and at least {counts.size} samples in each part. Use more samples, "
                "change validation_fraction, or set early_stopping=False."
            )

    def _forward(self, X):
        """The module's output for float32 ``X``, in evaluation mode, as float64."""
        with torch_threads(self.n_threads), preserved_torch_rng(self.device):
            out = self.net_.forward(X, training=False, device="cpu")
        return out.detach().numpy().astype(np.float64)
