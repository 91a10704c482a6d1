"""The residual 1-D CNN for continuous (and multi-output) targets."""

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetClassifier, NeuralNetRegressor

from ._base import BaseSpectrumNet
from ._cnn import CONV_CONSTRAINTS, CONV_PARAMS_DOC, FIT_PARAMS_DOC, ConvNetParamsMixin
from ._torch_utils import as_float32

__all__ = ["SpectrumCNNRegressor"]



def check_single_target_for_log_loss(loss, y):
    """Refuse several targets with ``loss='log_loss'`` (before validation)."""
    shape = getattr(y, "shape", ())  # arrays and DataFrames; lists go to validate_data
    if loss == "log_loss" and len(shape) == 2 and shape[1] > 1:
        raise ValueError(
            f"loss='log_loss' learns a single target, but y has shape "
            f"{shape}. Fit one regressor per target, or use another loss."
        )


def encode_regression_target(estimator, y):
    """Set the target attributes of a neural regressor; return the net's target.

    Sets ``n_outputs_``, ``y_mean_``, ``y_scale_`` and ``_y_1d`` on
    ``estimator`` and, with ``loss='log_loss'``, ``target_values_`` (the
    ordered values the net classifies into; removed after a later fit with
    another loss).

    Returns
    -------
    y_net : ndarray
        int64 indices into ``target_values_`` (``log_loss``), else the
        float32 targets standardised by ``y_mean_`` and ``y_scale_``.
    n_net_outputs : int
        Width of the network's output layer.
    """
    y = np.asarray(y, dtype=np.float64)
    estimator._y_1d = y.ndim == 1
    y2 = y.reshape(len(y), -1)
    estimator.n_outputs_ = y2.shape[1]
    estimator.y_mean_ = y2.mean(axis=0)
    std = y2.std(axis=0)
    estimator.y_scale_ = np.where(std > 0, std, 1.0)
    if estimator.loss == "log_loss":
        estimator.target_values_, y_net = np.unique(y2[:, 0], return_inverse=True)
        return y_net.astype(np.int64), len(estimator.target_values_)
    if hasattr(estimator, "target_values_"):  # from an earlier log_loss fit
        del estimator.target_values_
    y_net = as_float32((y2 - estimator.y_mean_) / estimator.y_scale_)
    return y_net, estimator.n_outputs_

class SpectrumCNNRegressor(RegressorMixin, ConvNetParamsMixin, BaseSpectrumNet):
    __doc__ = """Predict continuous quantities of spectra with a residual 1-D CNN.

    The network of :class:`SpectrumCNNClassifier` (same trunk, same
    parameters) with one linear output per target, trained on the ``loss``
    (by default the mean squared error) of the standardised targets (each
    target minus its mean, divided by its standard deviation, so Teff in K
    and [Fe/H] in dex weigh alike). For a spectral subtype as a number, or
    several stellar parameters at once (Teff, log g, [Fe/H]) as a 2-D ``y``.

    Parameters
    ----------
    loss : {{'squared_error', 'absolute_error', 'huber', 'log_loss'}}, \
default='squared_error'
        Training loss. On the standardised targets: mean squared error
        (predicts the conditional mean), mean absolute error (the
        conditional median; robust to label outliers, and the loss to
        choose when the score is a mean absolute error), or Huber's loss
        with threshold 1 standard deviation (Huber 1964), squared below and
        absolute above. ``'log_loss'`` is for a single target that takes a
        few discrete values, such as catalogue spectral subtypes: the
        network has one output per distinct training value
        (``target_values_``), is trained as a classifier with the
        cross-entropy, and predicts the probability-weighted mean of those
        values (the "deep expectation" of Rothe et al. 2018 [2]_). It
        learns spectral types better than the regression losses when
        neighbouring types differ by discrete features and the labels
        scatter by a subtype (SpeX M/L/T subtypes: rounded MAE 0.39
        against 0.49, ``benchmarks/bench_accuracy.py``), but not always
        (MILES MK subclasses in ``examples/plot_stellar_mk_types.py``: MAE
        1.61 against 1.55 for the squared error). It cannot predict beyond
        the training values, and its size grows with their number.
{conv}{fit}
    Attributes
    ----------
    n_features_in_ : int
        Number of pixels (features) seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.
    n_outputs_ : int
        Number of targets.
    y_mean_, y_scale_ : ndarray of shape (`n_outputs_`,)
        Mean and standard deviation (1 where 0) of the training targets.
    target_values_ : ndarray of shape (n_target_values,)
        The distinct training target values, in increasing order; only with
        ``loss='log_loss'``.
    net_ : skorch.NeuralNetRegressor or skorch.NeuralNetClassifier
        The trained net (the classifier with ``loss='log_loss'``).
    history_ : skorch.History
        Per-epoch record of the training.
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    SpectrumCNNClassifier : The same network for class labels.

    References
    ----------
    .. [1] S. Fabbro, K. A. Venn, T. O'Briain et al., "An application of deep
       learning in the analysis of stellar spectra", MNRAS 475, 2978-2993
       (2018), doi:10.1093/mnras/stx3298.
    .. [2] R. Rothe, R. Timofte and L. Van Gool, "Deep expectation of real
       and apparent age from a single image without facial landmarks",
       International Journal of Computer Vision 126, 144-157 (2018),
       doi:10.1007/s11263-016-0940-3.

    Examples
    --------
    The depth of an absorption line, from 40-pixel synthetic spectra:

    >>> import numpy as np
    >>> from spectra_sklearn.nn import SpectrumCNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> depth = rng.uniform(0.1, 0.9, 120)
    >>> pixels = np.arange(40)
    >>> X = 1 - depth[:, None] * np.exp(-0.5 * ((pixels - 20) / 3) ** 2)
    >>> X += rng.normal(0, 0.02, X.shape)
    >>> reg = SpectrumCNNRegressor(n_filters=8, max_epochs=20, random_state=0)
    >>> reg = reg.fit(X, depth)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> float(reg.score(X, depth)) > 0.8
    True

    Whole "subtypes" 0-7, set by where the line sits, learned with the log
    loss; the prediction is the expected subtype, rounded here to whole ones:

    >>> subtype = rng.integers(0, 8, 160)
    >>> X = 1 - 0.6 * np.exp(-0.5 * ((pixels - 10 - 3 * subtype[:, None]) / 2) ** 2)
    >>> reg = SpectrumCNNRegressor(loss="log_loss", n_filters=8, max_epochs=20,
    ...                            random_state=0).fit(X, subtype)
    >>> reg.target_values_
    array([0., 1., 2., 3., 4., 5., 6., 7.])
    >>> bool(np.mean(np.round(reg.predict(X)) == subtype) > 0.9)
    True
    """.format(conv=CONV_PARAMS_DOC, fit=FIT_PARAMS_DOC.format(stratified=""))

    # the torch loss class of each value of ``loss``
    _losses = {
        "squared_error": torch.nn.MSELoss,
        "absolute_error": torch.nn.L1Loss,
        "huber": torch.nn.HuberLoss,
        "log_loss": torch.nn.CrossEntropyLoss,
    }
    _parameter_constraints: dict = {
        **BaseSpectrumNet._parameter_constraints,
        **CONV_CONSTRAINTS,
        "loss": [StrOptions(set(_losses))],
    }
    _y_numeric = True
    _saved_private_attributes = (*BaseSpectrumNet._saved_private_attributes, "_y_1d")

    def __init__(
        self,
        *,
        loss="squared_error",
        n_filters=16,
        kernel_size=7,
        n_blocks=3,
        dilation=2,
        pooled_length=16,
        dropout=0.1,
        use_ivar=False,
        noise_augmentation=0.0,
        shift_augmentation=0.0,
        lr=1e-3,
        lr_schedule="cosine",
        max_epochs=30,
        batch_size=64,
        optimizer=torch.optim.AdamW,
        weight_decay=1e-2,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        input_scaling="dataset",
        random_state=None,
        device="cpu",
        n_threads=1,
        verbose=0,
    ):
        self.loss = loss
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.n_blocks = n_blocks
        self.dilation = dilation
        self.pooled_length = pooled_length
        self.dropout = dropout
        self.use_ivar = use_ivar
        self.noise_augmentation = noise_augmentation
        self.shift_augmentation = shift_augmentation
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.input_scaling = input_scaling
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose

    @property
    def _criterion(self):
        # the torch loss class of ``loss`` (read by fit and by load)
        return self._losses[self.loss]

    @property
    def _multi_output(self):
        # read by _validate_spectra: log_loss takes a 1-D y (a column is raveled
        # with a DataConversionWarning, as scikit-learn does)
        return self.loss != "log_loss"

    @property
    def _net_class(self):
        # skorch's classifier takes the integer-coded values of log_loss
        return NeuralNetClassifier if self.loss == "log_loss" else NeuralNetRegressor

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = self._multi_output
        # scikit-learn's check of a "reasonable" score fits 200 continuous
        # targets: with log_loss each value is a class of one spectrum, which
        # ten epochs cannot learn (R^2 < 0.5). The loss is for targets on a
        # few discrete values; the tag says so.
        tags.regressor_tags.poor_score = self.loss == "log_loss"
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on spectra ``X`` with targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Flux on a common wavelength grid, one spectrum per row, or a
            :class:`~spectra_sklearn.SpectrumBatch` on a common grid.
        y : array-like of shape (n_spectra,) or (n_spectra, n_targets)
            Finite numeric targets; a single target with
            ``loss='log_loss'``.

        Returns
        -------
        self : SpectrumCNNRegressor
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``X`` or ``y`` hold NaN or infinite values, if ``y`` has
            several targets with ``loss='log_loss'``, or if a parameter is out
            of range.
        """
        check_single_target_for_log_loss(self.loss, y)
        X_net, y, shift, scale = self._prepare_fit(X, y)
        y_net, n_net_outputs = encode_regression_target(self, y)
        self.net_ = self._fit_net(
            self._net_class, self._module_class, X_net, y_net,
            module_params=self._module_params(n_net_outputs, shift, scale),
            criterion=self._criterion,
        )
        self._set_fit_attributes()
        return self

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Flux on the wavelength grid seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_spectra,) or (n_spectra, n_targets)
            1-D when ``y`` was 1-D in ``fit``.
        """
        check_is_fitted(self)
        out = self._forward(self._prepare_predict(X))
        if hasattr(self, "target_values_"):  # fitted with loss='log_loss'
            out = (softmax(out, axis=1) @ self.target_values_)[:, None]
        else:
            out = out * self.y_scale_ + self.y_mean_
        return out.ravel() if self._y_1d else out
