"""A residual 1-D convolutional neural network classifier for spectra."""

from numbers import Integral, Real

import torch
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseSpectrumNet, BaseSpectrumNetClassifier
from .modules import SpectrumCNNModule

__all__ = ["SpectrumCNNClassifier"]

# Parameters of the convolutional trunk and its input, shared by the CNN
# classifier and regressor.
CONV_CONSTRAINTS = {
    "n_filters": [Interval(Integral, 1, None, closed="left")],
    "kernel_size": [Interval(Integral, 1, None, closed="left")],
    "n_blocks": [Interval(Integral, 1, None, closed="left")],
    "dilation": [Interval(Integral, 1, None, closed="left")],
    "pooled_length": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "use_ivar": ["boolean"],
    "noise_augmentation": [Interval(Real, 0, None, closed="left")],
    "shift_augmentation": [Interval(Real, 0, None, closed="left")],
    "input_scaling": [StrOptions({"dataset", "spectrum"})],
}

CONV_PARAMS_DOC = """\
    n_filters : int, default=16
        Convolution channels of the first block; block ``i`` (from 0) has
        ``n_filters * 2**i``.
    kernel_size : int, default=7
        Convolution kernel length, in pixels.
    n_blocks : int, default=3
        Number of residual blocks (the depth). Each halves the number of
        pixels (rounding up), so any number of pixels from 1 upwards works.
    dilation : int, default=2
        Dilation of the second convolution of every block (1 = none): the
        receptive field grows without more weights.
    pooled_length : int, default=16
        Number of wavelength bins the last feature maps are averaged into
        (adaptive average pooling) before the linear layer, whatever the
        length of the wavelength grid. More bins keep more of *where* along
        the spectrum a feature is; 1 (global average pooling) makes the
        network insensitive to feature positions.
    dropout : float, default=0.1
        Dropout probability before the final linear layer, in [0, 1).
    use_ivar : bool, default=False
        Give the network the per-pixel signal-to-noise as a second input
        channel (uncertainty-aware). Needs ``X`` as a
        :class:`~spectra_sklearn.SpectrumBatch` on a common grid (plain
        arrays carry no inverse variance); unknown (NaN) inverse variance
        counts as no information.
    noise_augmentation : float, default=0.0
        While training, add Gaussian noise of ``noise_augmentation`` times
        each pixel's uncertainty ``1 / sqrt(ivar)`` to the flux (a new
        realisation of the observation's noise at every epoch). Used only
        when ``X`` is a SpectrumBatch with inverse variance.
    shift_augmentation : float, default=0.0
        While training, shift every spectrum by a random amount in
        ``[-shift_augmentation, shift_augmentation]`` pixels (linear
        interpolation), for robustness to small wavelength offsets.
    lr : float, default=1e-3
        Initial learning rate of ``optimizer``.
    lr_schedule : {'cosine', 'plateau', 'constant'}, default='cosine'
        ``'cosine'``: cosine annealing from ``lr`` to 0 over ``max_epochs``
        (Loshchilov & Hutter 2017); ``'plateau'``: divide by 3.3 when the
        (validation, with ``early_stopping``, else training) loss stalls;
        ``'constant'``: keep ``lr``. Through skorch's ``LRScheduler``.
    max_epochs : int, default=30
        Number of passes over the training spectra (fewer with
        ``early_stopping``).
    batch_size : int, default=64
        Spectra per gradient step.
    optimizer : torch.optim.Optimizer subclass, default=torch.optim.AdamW
        Uninitialised optimizer class; called with the module's parameters,
        ``lr`` and ``weight_decay``.
    weight_decay : float, default=1e-2
        Weight decay (L2 penalty; decoupled for AdamW, Loshchilov & Hutter
        2019), >= 0.
"""

FIT_PARAMS_DOC = """\
    early_stopping : bool, default=False
        Hold out a {stratified}``validation_fraction`` of the training spectra
        and stop when the validation loss has not decreased for
        ``n_iter_no_change`` epochs; the weights of the best epoch are kept.
    validation_fraction : float, default=0.1
        Fraction of the spectra held out for early stopping, in (0, 1).
    n_iter_no_change : int, default=5
        Epochs without improvement of the validation loss before stopping.
    input_scaling : {{'dataset', 'spectrum'}}, default='dataset'
        How the network standardises the flux before the first layer, so
        raw flux (e.g. 1e-15 erg s-1 cm-2 Å-1) and normalised flux (about 1)
        both train. ``'dataset'``: subtract the median and divide by the
        normal-consistent interquartile range (IQR / 1.349) of all training
        flux values, then an asinh stretch, keeping each spectrum's shape and
        relative brightness; robust statistics because a few badly
        normalised spectra would otherwise set the scale for all.
        ``'spectrum'``: standardise each spectrum by its own mean and
        standard deviation, keeping only its shape.
    random_state : int, RandomState instance or None, default=None
        Seeds torch's weight initialisation, shuffling, dropout and
        augmentation, and the early-stopping split. Pass an int for
        reproducible results.
    device : str, default='cpu'
        Torch device to train and predict on, e.g. ``'cpu'`` or ``'cuda'``.
    n_threads : int or None, default=1
        Torch intra-op threads during ``fit`` and prediction; the previous
        setting is restored afterwards. ``None`` leaves torch's setting.
    verbose : int, default=0
        1: print skorch's per-epoch table (and early-stopping message);
        2 or more: also skorch's progress bar over the batches of each epoch.
"""


class ConvNetParamsMixin:
    """Module arguments of the convolutional estimators from their parameters."""

    _module_class = SpectrumCNNModule
    _allow_nan = True  # NaN / masked pixels: 0 after scaling, ivar 0

    def _module_params(self, n_outputs, shift, scale):
        return {
            "n_outputs": n_outputs,
            "n_filters": self.n_filters,
            "kernel_size": self.kernel_size,
            "n_blocks": self.n_blocks,
            "dilation": self.dilation,
            "pooled_length": self.pooled_length,
            "dropout": self.dropout,
            "input_scaling": self.input_scaling,
            "input_shift": shift,
            "input_scale": scale,
            "use_ivar": self.use_ivar,
            "noise_scale": self.noise_augmentation,
            "max_shift": self.shift_augmentation,
        }


class SpectrumCNNClassifier(ClassifierMixin, ConvNetParamsMixin, BaseSpectrumNetClassifier):
    __doc__ = """Classify spectra on a common wavelength grid with a residual 1-D CNN.

    The flux is standardised (with, optionally, the per-pixel signal-to-noise
    as a second channel), passed through ``n_blocks`` residual blocks of
    "same" convolutions (the second dilated) with batch normalisation, ReLU
    and max-pooling by 2, averaged into ``pooled_length`` wavelength bins,
    and mapped to class logits by a linear layer after dropout. Training
    minimises the (optionally class-weighted) cross-entropy with
    ``optimizer`` and a learning-rate schedule, optionally on spectra
    perturbed with their own noise and small shifts, with optional early
    stopping. The network is a :class:`skorch.NeuralNetClassifier` built and
    trained inside ``fit`` (``net_``), in the spirit of the 1-D CNNs for
    stellar spectral classification of Sharma et al. (2020).

    Training is deterministic for an int ``random_state``: the same data and
    seed give the same weights and predictions. Torch's global random state
    and thread count are restored after every call.

    Parameters
    ----------
{conv}    class_weight : {{'balanced'}}, dict or None, default=None
        Weights of the classes in the cross-entropy loss. ``'balanced'``
        weighs class ``c`` by ``n_samples / (n_classes * n_samples_c)``; a
        dict maps class labels to weights (missing classes weigh 1).
{fit}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of pixels (features) seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.
    net_ : skorch.NeuralNetClassifier
        The trained net; ``net_.module_`` is the
        :class:`~spectra_sklearn.nn.modules.SpectrumCNNModule`.
    history_ : skorch.History
        Per-epoch record of the training (``train_loss``, and
        ``valid_loss``/``valid_acc`` with ``early_stopping``).
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    SpectrumCNNRegressor : The same network for continuous targets.
    SpectrumRNNClassifier : A recurrent network over the flux sequence.
    sklearn.neural_network.MLPClassifier : A fully connected network.

    Notes
    -----
    Put the spectra on a common wavelength grid (and preferably normalise
    them) first; each row of ``X`` is one spectrum, each column one pixel.
    Training uses float32. ``save``/:func:`~spectra_sklearn.nn.load` store
    a fitted estimator without pickle.

    References
    ----------
    .. [1] K. Sharma, A. Kembhavi, A. Kembhavi, T. Sivarani, S. Abraham and
       K. Vaghmare, "Application of convolutional neural networks for stellar
       spectral classification", MNRAS 491, 2280-2300 (2020),
       doi:10.1093/mnras/stz3100.
    .. [2] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for
       image recognition", CVPR (2016).
    .. [3] F. Yu and V. Koltun, "Multi-scale context aggregation by dilated
       convolutions", ICLR (2016).
    .. [4] M. Tietz, T. J. Fan, D. Nouri, B. Bossan and skorch developers,
       "skorch: A scikit-learn compatible neural network library that uses
       PyTorch" (2017), https://skorch.readthedocs.io.
    .. [5] I. Loshchilov and F. Hutter, "SGDR: stochastic gradient descent
       with warm restarts", ICLR (2017); "Decoupled weight decay
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
    """.format(conv=CONV_PARAMS_DOC, fit=FIT_PARAMS_DOC.format(stratified="stratified "))

    _parameter_constraints: dict = {
        **BaseSpectrumNet._parameter_constraints,
        **CONV_CONSTRAINTS,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        *,
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
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.input_scaling = input_scaling
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose
