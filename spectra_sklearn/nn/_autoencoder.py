"""An autoencoder of spectra: latent features, reconstructions, anomaly scores."""

from numbers import Integral

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted
from skorch import NeuralNetRegressor

from ._base import BaseSpectrumNet
from ._torch_utils import as_float32, robust_location_scale
from .modules import SpectrumAutoencoderModule

__all__ = ["SpectrumAutoencoder"]


class SpectrumAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseSpectrumNet):
    """Compress spectra to a few latent features with a neural autoencoder.

    The flux is standardised (median and normal-consistent IQR of all
    training flux, then an asinh stretch, as in
    :class:`SpectrumCNNClassifier`), encoded to ``n_components`` numbers
    and decoded back; training minimises the mean squared reconstruction
    error of the standardised flux (Hinton & Salakhutdinov 2006). The
    latent vector is a non-linear analogue of PCA scores: ``transform``
    gives it, ``inverse_transform`` the reconstructed flux, and
    ``score_samples`` the negative reconstruction error, low for spectra
    unlike the training set (anomaly detection). In a pipeline ending in a
    clustering model, e.g. ``make_pipeline(resampler, normaliser,
    SpectrumAutoencoder(), GaussianMixture(4))``, it finds groups of
    spectra without labels (unsupervised taxonomy).

    Parameters
    ----------
    n_components : int, default=8
        Size of the latent vector.
    architecture : {'conv', 'dense'}, default='conv'
        ``'conv'``: residual convolution blocks and an upsampling
        convolutional decoder; ``'dense'``: one fully connected hidden layer
        of ``hidden_size`` units on each side.
    n_filters : int, default=16
        Channels of the first convolution block (``'conv'``).
    kernel_size : int, default=7
        Convolution kernel length in pixels (``'conv'``).
    n_blocks : int, default=3
        Convolution blocks of the encoder and of the decoder (``'conv'``).
    hidden_size : int, default=128
        Hidden units (``'dense'``).
    lr : float, default=1e-3
        Initial learning rate.
    lr_schedule : {'cosine', 'plateau', 'constant'}, default='cosine'
        See :class:`SpectrumCNNClassifier`.
    max_epochs : int, default=50
        Passes over the training spectra.
    batch_size : int, default=64
        Spectra per gradient step.
    optimizer : torch.optim.Optimizer subclass, default=torch.optim.AdamW
        Uninitialised optimizer class.
    weight_decay : float, default=1e-4
        Weight decay, >= 0.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the spectra and stop when their
        reconstruction error has not decreased for ``n_iter_no_change``
        epochs (the best weights are kept).
    validation_fraction : float, default=0.1
        Fraction held out for early stopping, in (0, 1).
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the early-stopping split.
    device : str, default='cpu'
        Torch device.
    n_threads : int or None, default=1
        Torch threads during the calls (restored afterwards).
    verbose : int, default=0
        1: print skorch's per-epoch table; 2 or more: also its progress bar.

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.
    flux_shift_, flux_scale_ : float
        Median and robust spread of the training flux (the standardisation).
    net_ : skorch.NeuralNetRegressor
        The trained net (``net_.module_`` is a
        :class:`SpectrumAutoencoderModule`).
    history_ : skorch.History
        Per-epoch record of the training.
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    sklearn.decomposition.PCA : The linear counterpart.

    References
    ----------
    .. [1] G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality
       of data with neural networks", Science 313, 504-507 (2006).

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.nn import SpectrumAutoencoder
    >>> rng = np.random.default_rng(0)
    >>> pixels = np.linspace(0, 1, 32)
    >>> slope = rng.uniform(-1, 1, (100, 1))
    >>> X = 1 + slope * (pixels - 0.5) + rng.normal(0, 0.01, (100, 32))
    >>> ae = SpectrumAutoencoder(n_components=2, architecture="dense",
    ...                          max_epochs=30, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (100, 2)
    >>> ae.get_feature_names_out()
    array(['spectrumautoencoder0', 'spectrumautoencoder1'], dtype=object)
    >>> ae.inverse_transform(ae.transform(X[:1])).shape
    (1, 32)
    """

    _parameter_constraints: dict = {
        **BaseSpectrumNet._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "architecture": [StrOptions({"conv", "dense"})],
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
    }
    _module_class = SpectrumAutoencoderModule
    _net_class = NeuralNetRegressor
    _criterion = torch.nn.MSELoss

    def __init__(
        self,
        *,
        n_components=8,
        architecture="conv",
        n_filters=16,
        kernel_size=7,
        n_blocks=3,
        hidden_size=128,
        lr=1e-3,
        lr_schedule="cosine",
        max_epochs=50,
        batch_size=64,
        optimizer=torch.optim.AdamW,
        weight_decay=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        device="cpu",
        n_threads=1,
        verbose=0,
    ):
        self.n_components = n_components
        self.architecture = architecture
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.n_blocks = n_blocks
        self.hidden_size = hidden_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose

    @property
    def _n_features_out(self):
        # read by get_feature_names_out: raising before fit makes it raise
        # NotFittedError, like every other post-fit method
        check_is_fitted(self)
        return self.n_components

    def _standardize(self, flux):
        return as_float32(np.arcsinh((flux - self.flux_shift_) / self.flux_scale_))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on spectra ``X``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Finite flux on a common wavelength grid.
        y : None
            Ignored.

        Returns
        -------
        self : SpectrumAutoencoder
            The fitted estimator.
        """
        flux, _ = self._validate_spectra(X, reset=True)
        self.flux_shift_, self.flux_scale_ = robust_location_scale(flux)
        z = self._standardize(flux)
        self.net_ = self._fit_net(
            self._net_class, self._module_class, z, z,
            module_params={
                "n_pixels": flux.shape[1],
                "n_components": self.n_components,
                "architecture": self.architecture,
                "n_filters": self.n_filters,
                "kernel_size": self.kernel_size,
                "n_blocks": self.n_blocks,
                "hidden_size": self.hidden_size,
            },
            criterion=self._criterion,
        )
        self._set_fit_attributes()
        return self

    def transform(self, X):
        """The latent vector of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Flux on the wavelength grid seen in ``fit``.

        Returns
        -------
        latent : ndarray of shape (n_spectra, n_components)
        """
        check_is_fitted(self)
        flux, _ = self._validate_spectra(X, reset=False)
        return self._forward(self._standardize(flux), method="encode")

    def inverse_transform(self, X):
        """Flux reconstructed from latent vectors.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_components)
            Latent vectors (from :meth:`transform`).

        Returns
        -------
        flux : ndarray of shape (n_spectra, n_pixels)
            In the flux units of the training spectra.

        Raises
        ------
        ValueError
            If ``X`` does not have ``n_components`` columns.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[1] != self.n_components:
            raise ValueError(
                f"inverse_transform of {type(self).__name__} takes latent vectors "
                f"of n_components={self.n_components} values; got X with "
                f"{X.shape[1]} columns."
            )
        z = self._forward(as_float32(X), method="decode")
        return np.sinh(z) * self.flux_scale_ + self.flux_shift_

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each spectrum.

        Measured on the standardised flux (the training loss), so it does
        not depend on the flux unit; the lower, the less the spectrum looks
        like the training spectra.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels) or SpectrumBatch
            Flux on the wavelength grid seen in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_spectra,)
        """
        check_is_fitted(self)
        flux, _ = self._validate_spectra(X, reset=False)
        z = self._standardize(flux)
        reconstruction = self._forward(z)
        return -np.mean((reconstruction - z) ** 2, axis=1)
