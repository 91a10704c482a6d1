"""A bidirectional LSTM classifier over the flux sequence of a spectrum."""

from numbers import Integral, Real

import torch
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseSpectrumNet, BaseSpectrumNetClassifier
from ._cnn import FIT_PARAMS_DOC
from .modules import SpectrumRNNModule

__all__ = ["SpectrumRNNClassifier"]


class SpectrumRNNClassifier(ClassifierMixin, BaseSpectrumNetClassifier):
    __doc__ = """Classify spectra with a bidirectional LSTM over the flux sequence.

    The spectral branch of the SDSS seed: the standardised flux (optionally
    with the per-pixel signal-to-noise), averaged in bins of ``bin_size``
    pixels, is read as a sequence by a bidirectional long short-term memory
    network (Hochreiter & Schmidhuber 1997; Schuster & Paliwal 1997); the
    time-averaged outputs and the final states of both directions feed a
    linear layer. Training, early stopping, learning-rate schedule,
    augmentation, seeding and persistence are those of
    :class:`SpectrumCNNClassifier`.

    Parameters
    ----------
    hidden_size : int, default=32
        LSTM units per direction and layer.
    n_layers : int, default=1
        Stacked LSTM layers.
    bin_size : int, default=4
        Pixels averaged into one sequence step (1 = every pixel). Recurrent
        networks run step by step, so a 1,000-pixel spectrum is best read in
        a few hundred steps.
    bidirectional : bool, default=True
        Read the spectrum in both directions.
    dropout : float, default=0.1
        Dropout before the linear layer (and between LSTM layers).
    use_ivar : bool, default=False
        See :class:`SpectrumCNNClassifier`.
    noise_augmentation, shift_augmentation : float, default=0.0
        See :class:`SpectrumCNNClassifier`.
    lr : float, default=3e-3
        Initial learning rate of ``optimizer``.
    lr_schedule : {{'cosine', 'plateau', 'constant'}}, default='cosine'
        See :class:`SpectrumCNNClassifier`.
    max_epochs : int, default=30
        Passes over the training spectra.
    batch_size : int, default=64
        Spectra per gradient step.
    optimizer : torch.optim.Optimizer subclass, default=torch.optim.AdamW
        Uninitialised optimizer class.
    weight_decay : float, default=1e-2
        Weight decay, >= 0.
    class_weight : {{'balanced'}}, dict or None, default=None
        See :class:`SpectrumCNNClassifier`.
{fit}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of pixels seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.
    net_ : skorch.NeuralNetClassifier
        The trained net (``net_.module_`` is a :class:`SpectrumRNNModule`).
    history_ : skorch.History
        Per-epoch record of the training.
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    SpectrumCNNClassifier : A convolutional network, usually faster.

    References
    ----------
    .. [1] S. Hochreiter and J. Schmidhuber, "Long short-term memory",
       Neural Computation 9, 1735-1780 (1997).
    .. [2] M. Schuster and K. K. Paliwal, "Bidirectional recurrent neural
       networks", IEEE Trans. Signal Processing 45, 2673-2681 (1997).

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.nn import SpectrumRNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> pixels = np.arange(40)
    >>> centre = np.where(np.arange(60) % 2 == 0, 10, 30)
    >>> X = 1 - 0.5 * np.exp(-0.5 * ((pixels - centre[:, None]) / 2) ** 2)
    >>> X += rng.normal(0, 0.05, X.shape)
    >>> y = np.where(centre == 10, "blue", "red")
    >>> clf = SpectrumRNNClassifier(max_epochs=15, random_state=0).fit(X, y)
    >>> float(clf.score(X, y)) > 0.9
    True
    """.format(fit=FIT_PARAMS_DOC.format(stratified="stratified "))

    _parameter_constraints: dict = {
        **BaseSpectrumNet._parameter_constraints,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "bin_size": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "use_ivar": ["boolean"],
        "noise_augmentation": [Interval(Real, 0, None, closed="left")],
        "shift_augmentation": [Interval(Real, 0, None, closed="left")],
        "input_scaling": [StrOptions({"dataset", "spectrum"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }
    _module_class = SpectrumRNNModule
    _allow_nan = True  # NaN / masked pixels: 0 after scaling, ivar 0

    def __init__(
        self,
        *,
        hidden_size=32,
        n_layers=1,
        bin_size=4,
        bidirectional=True,
        dropout=0.1,
        use_ivar=False,
        noise_augmentation=0.0,
        shift_augmentation=0.0,
        lr=3e-3,
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
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.bin_size = bin_size
        self.bidirectional = bidirectional
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

    def _module_params(self, n_outputs, shift, scale):
        return {
            "n_outputs": n_outputs,
            "hidden_size": self.hidden_size,
            "n_layers": self.n_layers,
            "bin_size": self.bin_size,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "input_scaling": self.input_scaling,
            "input_shift": shift,
            "input_scale": scale,
            "use_ivar": self.use_ivar,
            "noise_scale": self.noise_augmentation,
            "max_shift": self.shift_augmentation,
        }
