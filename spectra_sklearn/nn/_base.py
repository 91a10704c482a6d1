"""Machinery shared by the skorch-backed estimators of :mod:`spectra_sklearn.nn`.

Each estimator is a plain scikit-learn estimator with an explicit parameter
list that builds its skorch net inside ``fit`` (``net_``). What they all need
lives here: the torch thread count and random seed set for the duration of a
call and restored afterwards, flux (and inverse variance) as float32, encoded
labels, class weights, the learning-rate schedule and early stopping, building
and fitting the net, and a fast forward pass for prediction.
"""

from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar
from skorch.dataset import ValidSplit

from .._batch import SpectrumBatch, as_spectrum_batch, is_specutils
from .._spectrum import Spectrum
from ._torch_utils import (
    as_float32,
    class_weight_tensor,
    draw_seed,
    encode_labels,
    robust_location_scale,
    torch_seeded,
    torch_threads,
)

__all__ = []

# Spectra per forward pass at prediction time (at least batch_size): large
# enough that Python overhead is negligible, small enough that the first
# feature maps of 1,000-pixel spectra stay far below a gigabyte.
_PREDICT_CHUNK = 512

# "no y given" for _validate_spectra (None is a y that must be refused)
_NO_Y = object()


def _silent(*args, **kwargs):
    """A picklable ``print`` that prints nothing (skorch callback sink)."""


# Every concrete neural estimator, by class name (filled by
# BaseSpectrumNet.__init_subclass__); spectra_sklearn.nn.load builds only these.
_ESTIMATORS = {}


def registered_estimators():
    """The neural estimators :func:`spectra_sklearn.nn.load` can rebuild.

    Returns
    -------
    dict of {str: type}
        Class name → class, for every concrete subclass of
        :class:`BaseSpectrumNet` defined so far (the package's own are
        defined when :mod:`spectra_sklearn.nn` is imported).
    """
    return dict(_ESTIMATORS)


class BaseSpectrumNet(BaseEstimator):
    """Parameters, input handling and fitting shared by the neural estimators.

    Subclasses define their own parameters on top of these and the class
    attributes ``_net_class``, ``_module_class`` and ``_criterion``; their
    ``fit`` calls :meth:`_prepare_fit` and :meth:`_fit_net`, post-fit
    methods :meth:`_prepare_predict` and :meth:`_forward`. ``verbose=1``
    prints skorch's per-epoch table, ``verbose>=2`` also its per-batch
    progress bar (tqdm).

    Writing a new estimator:

    - a concrete subclass (its name not starting with ``Base`` or ``_``) is
      registered when the class is defined, so that
      :func:`spectra_sklearn.nn.load` can rebuild it; nothing else needs
      editing;
    - the input options below are class attributes with the values the
      base assumes; a subclass that takes one as a constructor parameter
      shadows it with its own value;
    - private fitted state that :meth:`save` must keep besides the public
      ``*_`` attributes is named in ``_saved_private_attributes``;
      ``_net_spec`` (the module's constructor arguments, set by
      :meth:`_fit_net`) is always kept.
    """

    # Input options read by the base (subclasses may take them as parameters).
    use_ivar = False
    noise_augmentation = 0.0
    input_scaling = "dataset"
    # Whether X may hold NaN (and masked) pixels: they reach the net as NaN flux,
    # which SpectrumInput sets to 0 after scaling, with ivar 0 (no information).
    _allow_nan = False
    # Target handling for validate_data (regressors override).
    _multi_output = False
    _y_numeric = False
    # Private attributes save() stores and load() restores.
    _saved_private_attributes = ("_net_spec",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith(("Base", "_")):
            return
        known = _ESTIMATORS.get(cls.__name__)
        if known is not None and (known.__module__, known.__qualname__) != (
            cls.__module__, cls.__qualname__
        ):
            raise TypeError(
                f"A neural estimator named {cls.__name__!r} is already registered "
                f"({known.__module__}.{known.__qualname__}); saved files name "
                "estimators by class name, so give this one another name."
            )
        _ESTIMATORS[cls.__name__] = cls

    _parameter_constraints: dict = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "cosine", "plateau"})],
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan
        return tags

    # ------------------------------------------------------------------ input
    def _validate_spectra(self, X, *, reset, y=_NO_Y):
        """Validate ``X`` and return ``(flux, ivar)`` (and ``y`` when given).

        ``X`` is a 2-D array of flux (``ivar`` is then ``None``) or spectra on
        a common wavelength grid (a :class:`~spectra_sklearn.SpectrumBatch`,
        a :class:`~spectra_sklearn.Spectrum` or a list of them), whose
        inverse variance is returned too (NaN = unknown, as stored; 0 on
        masked pixels).
        """
        ivar = None
        if isinstance(X, (SpectrumBatch, Spectrum)) or is_specutils(X) or (
            isinstance(X, list) and X and isinstance(X[0], Spectrum)
        ):
            batch, _ = as_spectrum_batch(X)
            if not batch.on_common_grid:
                raise ValueError(
                    f"{type(self).__name__} needs spectra on a common wavelength "
                    f"grid, but these {len(batch)} spectra have their own grids. Put "
                    "a spectra_sklearn.preprocessing.SpectralResampler before it."
                )
            # bad pixels (mask True) carry no information
            ivar = np.where(batch.mask, 0.0, np.asarray(batch.ivar, dtype=np.float64))
            X = batch.flux
            if self._allow_nan and batch.mask.any():
                X = np.where(batch.mask, np.nan, X)  # masked = missing
        dtype = [np.float64, np.float32]
        finite = "allow-nan" if self._allow_nan else True
        if y is _NO_Y:
            flux = validate_data(self, X, reset=reset, dtype=dtype,
                                 ensure_all_finite=finite)
            return flux, ivar
        flux, y = validate_data(self, X, y, reset=reset, dtype=dtype,
                                ensure_all_finite=finite,
                                multi_output=self._multi_output,
                                y_numeric=self._y_numeric)
        return flux, ivar, y

    @staticmethod
    def _net_input(flux, ivar):
        """The network's input: flux ``(n, n_pixels)`` or ``(n, 2, n_pixels)``.

        With ``ivar``, the second channel holds the inverse variance, with
        unknown (NaN), negative and infinite values set to 0 (no information),
        as on pixels whose flux is NaN (missing; the network's input module
        sets that flux to 0 after scaling).
        """
        flux = as_float32(flux)
        if ivar is None:
            return flux
        ivar = np.where(np.isfinite(ivar) & (ivar > 0) & np.isfinite(flux), ivar, 0.0)
        return as_float32(np.stack([flux, ivar.astype(np.float32)], axis=1))

    def _check_device(self):
        try:
            torch.device(self.device)
        except RuntimeError as exc:
            raise ValueError(
                f"The 'device' parameter of {type(self).__name__} must be a torch "
                f"device string such as 'cpu' or 'cuda:0'. Got {self.device!r} "
                f"instead ({exc})."
            ) from None

    # ---------------------------------------------------------------- fitting
    def _net_kwargs(self, *, seed, stratified, monitor_valid):
        """skorch keyword arguments common to every net (no module/criterion)."""
        callbacks = []
        if self.lr_schedule == "cosine":
            callbacks.append(("lr_scheduler", LRScheduler(
                policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                T_max=self.max_epochs,
            )))
        elif self.lr_schedule == "plateau":
            callbacks.append(("lr_scheduler", LRScheduler(
                policy=torch.optim.lr_scheduler.ReduceLROnPlateau,
                monitor="valid_loss" if monitor_valid else "train_loss",
                factor=0.3, patience=max(1, self.n_iter_no_change // 2),
            )))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        if monitor_valid:
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
        return dict(
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
        )

    def _make_net(self, net_class, module, *, module_params, criterion,
                  criterion_params=None, seed=0, stratified=False, monitor_valid=False):
        params = {f"module__{k}": v for k, v in module_params.items()}
        params.update(
            {f"criterion__{k}": v for k, v in (criterion_params or {}).items()}
        )
        return net_class(
            module, criterion=criterion,
            **self._net_kwargs(seed=seed, stratified=stratified,
                               monitor_valid=monitor_valid),
            **params,
        )

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
        self._check_device()
        seed = draw_seed(self.random_state)
        if self.early_stopping and stratified:
            self._check_stratified_split(y)
        # kept so that load() can rebuild the same net without training
        self._net_spec = {"module_params": dict(module_params)}
        net = self._make_net(
            net_class, module, module_params=module_params, criterion=criterion,
            criterion_params=criterion_params, seed=seed, stratified=stratified,
            monitor_valid=self.early_stopping,
        )
        with torch_threads(self.n_threads), torch_seeded(seed, self.device):
            # what skorch's fit does (warm_start=False), with a hook between
            net.initialize()
            self._prepare_initialized_module(net.module_)
            net.partial_fit(X, y)
        return net

    def _prepare_initialized_module(self, module):
        """Hook: change the freshly initialised module before training (no-op).

        ``ImageCNNClassifier`` loads its ``pretrained_weights`` here.
        """

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

    def _set_fit_attributes(self):
        self.history_ = self.net_.history
        self.n_iter_ = len(self.history_)

    # ------------------------------------------------------------- prediction
    def _forward(self, *inputs, method=None):
        """The module's output for float32 ``inputs``, in evaluation mode, as float64.

        Calls the module directly under :func:`torch.inference_mode` in chunks
        of at least ``batch_size`` samples (skorch's data loader and per-batch
        bookkeeping cost a quarter of the time of a small network's forward
        pass). Several inputs (the fusion models' flux and columns) are
        chunked alike and passed positionally; a module returning a tuple
        gives a list of arrays. ``method`` names another module method than
        ``forward`` (e.g. ``'encode'``).
        """
        module = self.net_.module_
        fn = module if method is None else getattr(module, method)
        chunk = max(self.batch_size, _PREDICT_CHUNK)
        device = torch.device(self.device)
        was_training = module.training
        module.eval()
        try:
            with torch_threads(self.n_threads), torch.inference_mode():
                parts = zip(*(torch.split(torch.from_numpy(x), chunk) for x in inputs))
                outs = [fn(*(p.to(device) for p in part)) for part in parts]
        finally:
            module.train(was_training)
        if not outs:  # zero samples: validate_data already refuses them
            raise ValueError("No spectra to predict.")
        if isinstance(outs[0], tuple):
            return [torch.cat(o).to("cpu").numpy().astype(np.float64) for o in zip(*outs)]
        return torch.cat(outs).to("cpu").numpy().astype(np.float64)

    # ------------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted estimator to ``path`` without pickle.

        The file is a zip archive holding ``params.json`` (the estimator's
        class, parameters and fitted attributes, as JSON) and ``weights.pt``
        (the network's tensors, saved with :func:`torch.save`), so that
        :func:`spectra_sklearn.nn.load` can restore it with torch's
        ``weights_only`` loader and never executes code from the file.

        Parameters
        ----------
        path : str or path-like
            File to write (overwritten).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If a parameter cannot be stored as JSON (an optimizer that is not
            a class of :mod:`torch.optim`, a non-JSON ``class_weight``...).
        """
        from ._persistence import save_estimator

        save_estimator(self, path)

    # --------------------------------------------------- fit/predict plumbing
    def _prepare_fit(self, X, y):
        """Validate ``X`` and ``y``; return the network input and the scaling.

        Returns ``(X_net, y, shift, scale)``: ``X_net`` carries the inverse
        variance when the network uses it (``use_ivar``) or draws noise from
        it (``noise_augmentation > 0`` and ``X`` has one).
        """
        flux, ivar, y = self._validate_spectra(X, reset=True, y=y)
        use_ivar = self.use_ivar
        if use_ivar and ivar is None:
            raise ValueError(
                f"{type(self).__name__}(use_ivar=True) needs the inverse variance of "
                "the spectra: pass a SpectrumBatch on a common wavelength grid, not a "
                "plain array of flux (or set use_ivar=False)."
            )
        if not use_ivar and not self.noise_augmentation > 0:
            ivar = None
        if self.input_scaling == "dataset":
            shift, scale = robust_location_scale(flux)
        else:
            shift, scale = 0.0, 1.0
        return self._net_input(flux, ivar), y, shift, scale

    def _prepare_predict(self, X):
        """Validate ``X`` after fit; return the network input."""
        flux, ivar = self._validate_spectra(X, reset=False)
        if self.use_ivar:
            if ivar is None:
                raise ValueError(
                    f"This {type(self).__name__} was fitted with use_ivar=True and "
                    "needs the inverse variance of the spectra: pass a SpectrumBatch "
                    "on the wavelength grid seen in fit, not a plain array of flux."
                )
            return self._net_input(flux, ivar)
        return self._net_input(flux, None)


class BaseSpectrumNetClassifier(BaseSpectrumNet):
    """``fit`` / ``predict_proba`` / ``predict`` of the neural classifiers.

    Subclasses provide ``_module_class`` and ``_module_params(n_outputs,
    shift, scale)``.
    """

    _net_class = NeuralNetClassifier
    _criterion = torch.nn.CrossEntropyLoss

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on spectra ``X`` with class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Flux on a common wavelength grid, one spectrum per row, or a
            :class:`~spectra_sklearn.SpectrumBatch` on a common grid (which
            also gives the inverse variance for ``use_ivar`` and
            ``noise_augmentation``). NaN flux and masked pixels are missing
            values where the estimator's ``allow_nan`` tag is set (the
            convolutional and recurrent estimators): 0 after input scaling,
            inverse variance 0; otherwise the flux must be finite.
        y : array-like of shape (n_spectra,)
            Class labels (strings or integers), at least 2 distinct.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``X`` holds infinite flux (or NaN, without ``allow_nan``), is not 2-D (or a ragged
            batch), if ``y`` is not a classification target or has fewer
            than 2 classes, or if a parameter is out of range.
        """
        X_net, y, shift, scale = self._prepare_fit(X, y)
        check_classification_targets(y)
        self.classes_, y_encoded = encode_labels(self, y)
        weight = class_weight_tensor(self.class_weight, self.classes_, y)
        self.net_ = self._fit_net(
            self._net_class, self._module_class, X_net, y_encoded,
            module_params=self._module_params(len(self.classes_), shift, scale),
            criterion=self._criterion,
            criterion_params={"weight": weight},
            stratified=True,
        )
        self._set_fit_attributes()
        return self

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's logits).

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Flux on the wavelength grid seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_spectra, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        logits = self._forward(self._prepare_predict(X))
        return softmax(logits, axis=1)

    def predict(self, X):
        """Most probable class of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Flux on the wavelength grid seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_spectra,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        logits = self._forward(self._prepare_predict(X))
        return self.classes_[np.argmax(logits, axis=1)]
