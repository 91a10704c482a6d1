"""A 1-D convolutional neural network classifier for spectra (skorch/PyTorch)."""

from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from skorch import NeuralNetClassifier
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import BaseSpectrumNet, as_float32, class_weight_tensor, encode_labels
from ._modules import SpectrumCNNModule

__all__ = ["SpectrumCNNClassifier"]


class SpectrumCNNClassifier(ClassifierMixin, BaseSpectrumNet):
    """Classify spectra on a common wavelength grid with a 1-D CNN.

    The flux is standardised, then passed through ``n_blocks`` convolution
    blocks (zero-padded "same" convolution → batch normalisation → ReLU →
    max-pooling by 2), averaged into ``pooled_length`` wavelength bins, and
    mapped to class logits by a linear layer after dropout; training minimises the (optionally class
    weighted) cross-entropy with ``optimizer``. The network is a
    :class:`skorch.NeuralNetClassifier` built and trained inside ``fit``
    (``net_``), in the spirit of the 1-D CNNs for stellar spectral
    classification of Sharma et al. (2020).

    Training is deterministic for an int ``random_state``: the same data and
    seed give the same weights and predictions. Torch's global random state
    and thread count are restored after every call.

    Parameters
    ----------
    n_filters : int, default=16
        Convolution channels of the first block; block ``i`` (from 0) has
        ``n_filters * 2**i``.
    kernel_size : int, default=7
        Convolution kernel length, in pixels.
    n_blocks : int, default=3
        Number of convolution blocks (the depth). Each halves the number of
        pixels (rounding up), so any number of pixels from 1 upwards works.
    pooled_length : int, default=16
        Number of wavelength bins the last feature maps are averaged into
        (adaptive average pooling) before the linear layer. More bins keep
        more of *where* along the spectrum a feature is; 1 (global average
        pooling) makes the classifier insensitive to feature positions. With
        fewer pixels than bins, pixels are repeated.
    dropout : float, default=0.1
        Dropout probability before the final linear layer, in [0, 1).
    lr : float, default=1e-3
        Learning rate of ``optimizer``.
    max_epochs : int, default=30
        Number of passes over the training spectra (fewer with
        ``early_stopping``).
    batch_size : int, default=64
        Spectra per gradient step (and per prediction batch).
    optimizer : torch.optim.Optimizer subclass, default=torch.optim.AdamW
        Uninitialised optimizer class; called with the module's parameters,
        ``lr`` and ``weight_decay``.
    weight_decay : float, default=1e-2
        Weight decay (L2 penalty; decoupled for AdamW, Loshchilov & Hutter
        2019), >= 0.
    class_weight : {'balanced'}, dict or None, default=None
        Weights of the classes in the cross-entropy loss. ``'balanced'``
        weighs class ``c`` by ``n_samples / (n_classes * n_samples_c)``; a
        dict maps class labels to weights (missing classes weigh 1).
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training spectra
        and stop when the validation loss has not decreased for
        ``n_iter_no_change`` epochs; the weights of the best epoch are kept.
        Needs at least 2 spectra of every class and enough spectra for every
        class to appear in both parts.
    validation_fraction : float, default=0.1
        Fraction of the spectra held out for early stopping, in (0, 1).
    n_iter_no_change : int, default=5
        Epochs without improvement of the validation loss before stopping.
    input_scaling : {'dataset', 'spectrum'}, default='dataset'
        How the network standardises the flux before the first convolution,
        so raw flux (e.g. 1e-15 erg s-1 cm-2 Å-1) and normalised flux
        (about 1) both train. ``'dataset'``: subtract the median and divide
        by the normal-consistent interquartile range (IQR / 1.349) of all
        training flux values (two numbers; the standard deviation when the IQR
        is 0), keeping each spectrum's shape and relative brightness. Robust
        statistics, because a few badly normalised spectra (a window flux near
        zero gives values of 1e3 in the SpeX library) would otherwise set the
        scale for all. ``'spectrum'``:
        standardise each spectrum by its own mean and standard deviation over
        pixels, keeping only its shape -- for spectra that are not flux
        normalised (a one-pixel spectrum then carries no information).
    random_state : int, RandomState instance or None, default=None
        Seeds torch's weight initialisation, shuffling and dropout, and the
        early-stopping split. Pass an int for reproducible results.
    device : str, default='cpu'
        Torch device to train and predict on, e.g. ``'cpu'`` or ``'cuda'``.
    n_threads : int or None, default=1
        Torch intra-op threads during ``fit`` and prediction; the previous
        setting is restored afterwards. ``None`` leaves torch's setting.
        One thread is usually fastest for networks of this size.
    verbose : int, default=0
        Print skorch's per-epoch table (and early-stopping message) if > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of pixels (features) seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.
    net_ : skorch.NeuralNetClassifier
        The trained net; ``net_.module_`` is the
        :class:`~spectra_sklearn.nn._modules.SpectrumCNNModule`.
    history_ : skorch.History
        Per-epoch record of the training (``train_loss``, and
        ``valid_loss``/``valid_acc`` with ``early_stopping``).
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : A fully connected network.

    Notes
    -----
    Put the spectra on a common wavelength grid (and preferably normalise
    them) first; each row of ``X`` is one spectrum, each column one pixel.
    Training uses float32.

    References
    ----------
    .. [1] K. Sharma, A. Kembhavi, A. Kembhavi, T. Sivarani, S. Abraham and
       K. Vaghmare, "Application of convolutional neural networks for stellar
       spectral classification", MNRAS 491, 2280-2300 (2020),
       doi:10.1093/mnras/stz3100.
    .. [2] M. Tietz, T. J. Fan, D. Nouri, B. Bossan and skorch developers,
       "skorch: A scikit-learn compatible neural network library that uses
       PyTorch" (2017), https://skorch.readthedocs.io.
    .. [3] S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep
       network training by reducing internal covariate shift", ICML (2015).
    .. [4] I. Loshchilov and F. Hutter, "Decoupled weight decay
       regularization", ICLR (2019).

    Examples
    --------
    Two classes of synthetic spectra on 40 pixels: an absorption line in the
    blue half or in the red half.

    >>> import numpy as np
    >>> from spectra_sklearn.nn import SpectrumCNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> pixels = np.arange(40)
    >>> centre = np.where(np.arange(60) % 2 == 0, 10, 30)
    >>> X = 1 - 0.5 * np.exp(-0.5 * ((pixels - centre[:, None]) / 2) ** 2)
    >>> X += rng.normal(0, 0.05, X.shape)
    >>> y = np.where(centre == 10, "blue", "red")
    >>> clf = SpectrumCNNClassifier(max_epochs=15, random_state=0).fit(X, y)
    >>> clf.classes_
    array(['blue', 'red'], dtype='<U4')
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> float(clf.score(X, y)) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseSpectrumNet._parameter_constraints,
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": [Interval(Integral, 1, None, closed="left")],
        "pooled_length": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "input_scaling": [StrOptions({"dataset", "spectrum"})],
    }

    def __init__(
        self,
        *,
        n_filters=16,
        kernel_size=7,
        n_blocks=3,
        pooled_length=16,
        dropout=0.1,
        lr=1e-3,
        max_epochs=30,
        batch_size=64,
        optimizer=torch.optim.AdamW,
        weight_decay=1e-2,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        input_scaling="dataset",
        random_state=None,
        device="cpu",
        n_threads=1,
        verbose=0,
    ):
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.n_blocks = n_blocks
        self.pooled_length = pooled_length
        self.dropout = dropout
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.input_scaling = input_scaling
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on spectra ``X`` with class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Flux on a common wavelength grid, one spectrum per row (a
            :class:`~spectra_sklearn.SpectrumBatch` on a common grid gives
            its 2-D flux). Must be finite.
        y : array-like of shape (n_spectra,)
            Class labels (strings or integers), at least 2 distinct.

        Returns
        -------
        self : SpectrumCNNClassifier
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``X`` holds NaN or infinite flux, is not 2-D, if ``y`` is not
            a classification target or has fewer than 2 classes, or if a
            parameter is out of range.
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, y_encoded = encode_labels(self, y)
        weight = class_weight_tensor(self.class_weight, self.classes_, y)
        if self.input_scaling == "dataset":
            shift, scale = _robust_location_scale(X)
        else:
            shift, scale = 0.0, 1.0
        self.net_ = self._fit_net(
            NeuralNetClassifier,
            SpectrumCNNModule,
            as_float32(X),
            y_encoded,
            module_params={
                "n_outputs": len(self.classes_),
                "n_filters": self.n_filters,
                "kernel_size": self.kernel_size,
                "n_blocks": self.n_blocks,
                "pooled_length": self.pooled_length,
                "dropout": self.dropout,
                "input_scaling": self.input_scaling,
                "input_shift": shift,
                "input_scale": scale,
            },
            criterion=torch.nn.CrossEntropyLoss,
            criterion_params={"weight": weight},
            stratified=True,
        )
        self.history_ = self.net_.history
        self.n_iter_ = len(self.history_)
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
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return softmax(self._forward(as_float32(X)), axis=1)

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
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _robust_location_scale(X):
    """Median and normal-consistent IQR of all values of ``X`` (std if IQR is 0)."""
    q25, median, q75 = np.percentile(X, [25, 50, 75])
    scale = (q75 - q25) / 1.349
    if not (np.isfinite(scale) and scale > 0):
        scale = float(np.std(X, dtype=np.float64))
    if not (np.isfinite(scale) and scale > 0):
        scale = 1.0
    return float(median), float(scale)
