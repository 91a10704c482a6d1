"""Spectrum + catalogue columns in one network: the multimodal fusion estimators."""

from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetClassifier

from ._base import _NO_Y, BaseSpectrumNet
from ._torch_utils import as_float32, class_weight_tensor, encode_labels, robust_location_scale
from .modules import FusionLoss, SpectrumFusionModule
from .modules._fusion import BRANCHES

__all__ = ["SpectrumFusionClassifier"]

_FUSION_CONSTRAINTS = {
    "n_tabular_features": [Interval(Integral, 1, None, closed="left")],
    "spectrum_branch": [StrOptions({"cnn", "lstm"})],
    "fusion": [StrOptions({"attention", "concat"})],
    "embed_dim": [Interval(Integral, 1, None, closed="left")],
    "n_heads": [Interval(Integral, 1, None, closed="left")],
    "tabular_hidden_size": [Interval(Integral, 1, None, closed="left")],
    "auxiliary_weight": [Interval(Real, 0, None, closed="left")],
    "n_filters": [Interval(Integral, 1, None, closed="left")],
    "kernel_size": [Interval(Integral, 1, None, closed="left")],
    "n_blocks": [Interval(Integral, 1, None, closed="left")],
    "dilation": [Interval(Integral, 1, None, closed="left")],
    "pooled_length": [Interval(Integral, 1, None, closed="left")],
    "hidden_size": [Interval(Integral, 1, None, closed="left")],
    "n_layers": [Interval(Integral, 1, None, closed="left")],
    "bin_size": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "shift_augmentation": [Interval(Real, 0, None, closed="left")],
    "input_scaling": [StrOptions({"dataset", "spectrum"})],
}

_PARAMS_DOC = """\
    n_tabular_features : int, default=1
        Number of catalogue columns: the last ``n_tabular_features`` columns
        of ``X``; the columns before them are the flux on a common
        wavelength grid. Set it to the number of metadata columns your
        composition step appends (the default works on any ``X`` of at
        least 2 columns). The catalogue columns may hold NaN (missing): each
        is standardised with the mean and standard deviation of its known
        training values, NaN becomes 0 and a missing-indicator input is
        added, so no imputer is needed.
    spectrum_branch : {{'cnn', 'lstm'}}, default='cnn'
        The spectrum network: the residual CNN trunk of
        :class:`SpectrumCNNClassifier` (``n_filters``, ``kernel_size``,
        ``n_blocks``, ``dilation``, ``pooled_length``) or the bidirectional
        LSTM of :class:`SpectrumRNNClassifier` (``hidden_size``,
        ``n_layers``, ``bin_size``), without their linear heads.
    fusion : {{'attention', 'concat'}}, default='attention'
        ``'attention'``: each branch's embedding is a token; with a learned
        fused token they pass through multi-head self-attention (residual,
        layer normalisation) and the fused token's output feeds the head
        (the design of the SDSS seed; :meth:`attention_weights` shows how
        much it draws from each branch). ``'concat'``: the concatenated
        embeddings feed the head.
    embed_dim : int, default=32
        Size of each branch's embedding (token).
    n_heads : int, default=4
        Attention heads; must divide ``embed_dim``.
    tabular_hidden_size : int, default=32
        Hidden width of the catalogue-column MLP.
    auxiliary_weight : float, default=0.5
        Each branch has its own head, trained jointly: the loss is the fused
        head's plus ``auxiliary_weight`` times each branch head's. The branch
        heads give ``branch='spectrum'`` and ``branch='tabular'``
        predictions; 0 leaves them untrained.
    n_filters, kernel_size, n_blocks, dilation, pooled_length : int, \
default=16, 7, 3, 2, 16
        CNN branch, see :class:`SpectrumCNNClassifier`.
    hidden_size, n_layers, bin_size : int, default=32, 1, 4
        LSTM branch, see :class:`SpectrumRNNClassifier` (always
        bidirectional).
    dropout : float, default=0.1
        Dropout of the spectrum network, the tabular MLP, the attention and
        the fused head, in [0, 1).
    shift_augmentation : float, default=0.0
        While training, shift every spectrum by a random amount in
        ``[-shift_augmentation, shift_augmentation]`` pixels, as in
        :class:`SpectrumCNNClassifier`.
    input_scaling : {{'dataset', 'spectrum'}}, default='dataset'
        Flux standardisation, see :class:`SpectrumCNNClassifier`.
    lr : float, default=1e-3
        Initial learning rate of ``optimizer``.
    lr_schedule : {{'cosine', 'plateau', 'constant'}}, default='cosine'
        See :class:`SpectrumCNNClassifier`.
    max_epochs : int, default=30
        Passes over the training spectra (fewer with ``early_stopping``).
    batch_size : int, default=64
        Spectra per gradient step.
    optimizer : torch.optim.Optimizer subclass, default=torch.optim.AdamW
        Uninitialised optimizer class.
    weight_decay : float, default=1e-2
        Weight decay, >= 0.
"""

_COMMON_DOC = """\
    early_stopping : bool, default=False
        Hold out a {stratified}``validation_fraction`` of the training spectra
        and stop when the validation loss (fused plus auxiliary) has not
        decreased for ``n_iter_no_change`` epochs; the best epoch is kept.
    validation_fraction : float, default=0.1
        Fraction held out for early stopping, in (0, 1).
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout, augmentation and the
        early-stopping split; an int gives reproducible results.
    device : str, default='cpu'
        Torch device.
    n_threads : int or None, default=1
        Torch threads during ``fit`` and prediction (restored afterwards).
    verbose : int, default=0
        1: skorch's per-epoch table; 2: also its progress bar.
"""

_ATTRIBUTES_DOC = """\
    n_features_in_ : int
        Columns of ``X`` seen in ``fit`` (pixels + catalogue columns).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` had string column names.
    n_pixels_ : int
        Flux columns (``n_features_in_ - n_tabular_features``).
    tabular_mean_, tabular_scale_ : ndarray of shape (n_tabular_features,)
        Mean and standard deviation (1 where 0) of the known training values
        of each catalogue column, used to standardise them.
    branch_names_ : tuple of str
        ``('fused', 'spectrum', 'tabular')``: the values of ``branch`` and
        the columns of :meth:`attention_weights`.
    net_ : skorch net
        The trained net; ``net_.module_`` is a
        :class:`~spectra_sklearn.nn.modules.SpectrumFusionModule`.
    history_ : skorch.History
        Per-epoch record of the training.
    n_iter_ : int
        Number of epochs run.
"""

_REFERENCES_DOC = """\
    .. [1] A. Vaswani, N. Shazeer, N. Parmar et al., "Attention is all you
       need", NeurIPS (2017) (multi-head attention).
    .. [2] J. Devlin, M.-W. Chang, K. Lee and K. Toutanova, "BERT:
       pre-training of deep bidirectional transformers", NAACL (2019) (a
       learned summary token).
    .. [3] J. Ngiam, A. Khosla, M. Kim, J. Nam, H. Lee and A. Y. Ng,
       "Multimodal deep learning", ICML (2011).
"""


class _FusionNetMixin:
    """Input splitting, module arguments and prediction of the fusion nets."""

    def _validate_fusion(self, X, y=_NO_Y, *, reset):
        """Validate ``X`` (and ``y``); return ``(flux, tabular[, y])`` as float64.

        Catalogue columns may be NaN (infinity is refused by ``validate_data``),
        the flux must be finite.
        """
        kwargs = dict(reset=reset, dtype=[np.float64, np.float32],
                      ensure_all_finite="allow-nan")
        if y is _NO_Y:
            X = validate_data(self, X, **kwargs)
        else:
            X, y = validate_data(self, X, y, multi_output=self._multi_output,
                                 y_numeric=self._y_numeric, **kwargs)
        name = type(self).__name__
        k = self.n_tabular_features
        if reset and X.shape[1] <= k:
            raise ValueError(
                f"X has {X.shape[1]} feature(s) (columns) but {name} takes the last "
                f"n_tabular_features={k} columns as catalogue columns and needs at "
                "least one flux column before them. Pass [flux pixels | catalogue "
                "columns], or lower n_tabular_features."
            )
        flux, tabular = X[:, :-k], X[:, -k:]
        if not np.isfinite(flux).all():
            bad = np.argwhere(~np.isfinite(flux))[0]
            raise ValueError(
                f"Input X contains NaN or infinity in its flux columns (first at row "
                f"{bad[0]}, column {bad[1]}); {name} accepts NaN only in the last "
                f"n_tabular_features={k} (catalogue) columns. Interpolate masked "
                "pixels first (spectra_sklearn.preprocessing.MaskedPixelInterpolator)."
            )
        return (flux, tabular) if y is _NO_Y else (flux, tabular, y)

    def _tabular_statistics(self, tabular):
        known = np.isfinite(tabular)
        empty = np.flatnonzero(~known.any(axis=0))
        if empty.size:
            column = tabular.shape[1] - empty[0]
            raise ValueError(
                f"Catalogue column {empty[0]} of {tabular.shape[1]} (column -{column} of "
                f"X) is NaN for every training spectrum: it carries no information. "
                "Drop it and lower n_tabular_features."
            )
        mean = np.nanmean(tabular, axis=0)
        std = np.sqrt(np.nanmean((tabular - mean) ** 2, axis=0))
        self.tabular_mean_ = mean
        self.tabular_scale_ = np.where(std > 0, std, 1.0)

    def _check_heads(self):
        if self.fusion == "attention" and self.embed_dim % self.n_heads:
            raise ValueError(
                f"n_heads={self.n_heads} must divide embed_dim={self.embed_dim} "
                "(each attention head gets embed_dim / n_heads features)."
            )

    def _module_params(self, n_outputs, flux):
        shift, scale = (robust_location_scale(flux) if self.input_scaling == "dataset"
                        else (0.0, 1.0))
        spectrum = {"dropout": self.dropout, "input_scaling": self.input_scaling,
                    "input_shift": shift, "input_scale": scale,
                    "max_shift": self.shift_augmentation}
        if self.spectrum_branch == "cnn":
            spectrum.update(n_filters=self.n_filters, kernel_size=self.kernel_size,
                            n_blocks=self.n_blocks, dilation=self.dilation,
                            pooled_length=self.pooled_length)
        else:
            spectrum.update(hidden_size=self.hidden_size, n_layers=self.n_layers,
                            bin_size=self.bin_size)
        return {
            "n_outputs": int(n_outputs),
            "tabular_mean": self.tabular_mean_.tolist(),
            "tabular_scale": self.tabular_scale_.tolist(),
            "spectrum_branch": self.spectrum_branch,
            "spectrum_params": spectrum,
            "fusion": self.fusion,
            "embed_dim": self.embed_dim,
            "n_heads": self.n_heads,
            "tabular_hidden": self.tabular_hidden_size,
            "dropout": self.dropout,
        }

    def _prepare(self, X, y):
        """Validate for fit; return the skorch input dict and ``y``."""
        self._check_heads()
        flux, tabular, y = self._validate_fusion(X, y, reset=True)
        self.n_pixels_ = flux.shape[1]
        self._tabular_statistics(tabular)
        self.branch_names_ = BRANCHES
        return {"flux": as_float32(flux), "tabular": as_float32(tabular)}, y, flux

    def _outputs(self, X, method=None):
        """Module outputs for ``X`` in evaluation mode, chunked, as float64.

        ``method=None``: the list [fused, spectrum, tabular] of outputs;
        ``'attention_weights'``: one array.
        """
        check_is_fitted(self)
        flux, tabular = self._validate_fusion(X, reset=False)
        return self._forward(as_float32(flux), as_float32(tabular), method=method)

    def _branch_output(self, X, branch):
        if branch not in BRANCHES:
            raise ValueError(f"branch must be one of {BRANCHES}, got {branch!r}.")
        return self._outputs(X)[BRANCHES.index(branch)]

    def attention_weights(self, X):
        """How much the fused token draws from each token, per spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, `n_features_in_`)
            Flux then catalogue columns, as in ``fit``.

        Returns
        -------
        weights : ndarray of shape (n_spectra, 3)
            Attention of the fused token over the tokens ``branch_names_``
            (the fused token itself, the spectrum, the catalogue columns),
            averaged over the heads; rows sum to 1.

        Raises
        ------
        ValueError
            With ``fusion='concat'`` (no attention).
        """
        check_is_fitted(self)
        if self.fusion != "attention":
            raise ValueError(
                f"{type(self).__name__}(fusion='concat') has no attention weights; "
                "fit with fusion='attention'."
            )
        return self._outputs(X, method="attention_weights")


def _init_params(self, params):
    for name, value in params.items():
        setattr(self, name, value)


class SpectrumFusionClassifier(ClassifierMixin, _FusionNetMixin, BaseSpectrumNet):
    __doc__ = """Classify from a spectrum and catalogue columns together.

    Two branches, one network: the flux (the CNN trunk or the bidirectional
    LSTM of this package) and a few catalogue columns (a small MLP with
    standardised inputs and missing-value indicators, e.g. absolute
    magnitudes, proper motion, signal-to-noise), fused by multi-head
    self-attention over one token per branch or by concatenation, then a
    classifier head. Each branch also has its own head, trained jointly, so
    ``predict_proba(X, branch=...)`` gives the fused, spectrum-only and
    catalogue-only predictions side by side (the "dual-model predictions"
    of the SDSS stellar-subclass seed). Training (skorch), class weights,
    early stopping, shift augmentation, seeding and ``save``/``load`` are
    those of :class:`SpectrumCNNClassifier`.

    Parameters
    ----------
{params}    class_weight : {{'balanced'}}, dict or None, default=None
        Weights of the classes in every head's cross-entropy, see
        :class:`SpectrumCNNClassifier`.
{common}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
{attributes}
    See Also
    --------
    SpectrumFusionRegressor : The same network for continuous targets.
    spectra_sklearn.preprocessing.MetadataFeatures : Catalogue values of
        spectra as columns.

    Notes
    -----
    ``X`` is one 2-D array ``[flux pixels | catalogue columns]``; the flux
    must be finite, the catalogue columns may be NaN. The inverse variance is
    not used (no ``use_ivar`` or noise augmentation).

    References
    ----------
{references}
    Examples
    --------
    A line in the blue or the red half of 30 pixels; one catalogue column
    (a "magnitude") carries the class too, the other is missing half the
    time:

    >>> import numpy as np
    >>> from spectra_sklearn.nn import SpectrumFusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> label = np.arange(80) % 2
    >>> flux = 1 - 0.5 * np.exp(-0.5 * ((np.arange(30) - 8 - 14 * label[:, None]) / 2) ** 2)
    >>> magnitude = 10 + 2 * label + rng.normal(0, 0.3, 80)
    >>> parallax = np.where(rng.random(80) < 0.5, np.nan, rng.normal(50, 5, 80))
    >>> X = np.column_stack([flux + rng.normal(0, 0.05, flux.shape), magnitude, parallax])
    >>> clf = SpectrumFusionClassifier(n_tabular_features=2, n_filters=4, n_blocks=2,
    ...                                max_epochs=15, random_state=0).fit(X, label)
    >>> clf.branch_names_
    ('fused', 'spectrum', 'tabular')
    >>> clf.predict_proba(X[:2], branch="tabular").shape
    (2, 2)
    >>> float(clf.score(X, label)) > 0.9
    True
    >>> clf.attention_weights(X[:1]).shape
    (1, 3)
    """.format(params=_PARAMS_DOC, common=_COMMON_DOC.format(stratified="stratified "),
               attributes=_ATTRIBUTES_DOC, references=_REFERENCES_DOC)

    _parameter_constraints: dict = {
        **BaseSpectrumNet._parameter_constraints,
        **_FUSION_CONSTRAINTS,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }
    _net_class = NeuralNetClassifier
    _module_class = SpectrumFusionModule
    _criterion = FusionLoss

    def __init__(
        self, *, n_tabular_features=1, spectrum_branch="cnn", fusion="attention",
        embed_dim=32, n_heads=4, tabular_hidden_size=32, auxiliary_weight=0.5,
        n_filters=16, kernel_size=7, n_blocks=3, dilation=2, pooled_length=16,
        hidden_size=32, n_layers=1, bin_size=4, dropout=0.1, shift_augmentation=0.0,
        input_scaling="dataset", lr=1e-3, lr_schedule="cosine", max_epochs=30,
        batch_size=64, optimizer=torch.optim.AdamW, weight_decay=1e-2,
        class_weight=None, early_stopping=False, validation_fraction=0.1,
        n_iter_no_change=5, random_state=None, device="cpu", n_threads=1, verbose=0,
    ):
        _init_params(self, {k: v for k, v in locals().items() if k != "self"})

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on ``X = [flux | catalogue columns]`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels + n_tabular_features)
            Flux on a common wavelength grid (finite), then the catalogue
            columns (NaN = missing).
        y : array-like of shape (n_spectra,)
            Class labels, at least 2 distinct.

        Returns
        -------
        self : SpectrumFusionClassifier

        Raises
        ------
        ValueError
            If ``X`` has no flux column before the catalogue columns, NaN or
            infinite flux, infinite or all-NaN catalogue columns; if ``y``
            has fewer than 2 classes; if ``n_heads`` does not divide
            ``embed_dim``; or if a parameter is out of range.
        """
        X_net, y, flux = self._prepare(X, y)
        check_classification_targets(y)
        self.classes_, y_encoded = encode_labels(self, y)
        weight = class_weight_tensor(self.class_weight, self.classes_, y)
        self.net_ = self._fit_net(
            self._net_class, self._module_class, X_net, y_encoded,
            module_params=self._module_params(len(self.classes_), flux),
            criterion=self._criterion,
            criterion_params={"weight": weight, "auxiliary_weight": self.auxiliary_weight},
            stratified=True,
        )
        self._set_fit_attributes()
        return self

    def predict_proba(self, X, branch="fused"):
        """Class probabilities of the fused model or of one branch.

        Parameters
        ----------
        X : array-like of shape (n_spectra, `n_features_in_`)
            Flux then catalogue columns, as in ``fit``.
        branch : {'fused', 'spectrum', 'tabular'}, default='fused'
            Whose prediction: the fused head, or the head on the spectrum's
            or the catalogue columns' embedding alone.

        Returns
        -------
        proba : ndarray of shape (n_spectra, n_classes)
            In the order of ``classes_``; rows sum to 1.
        """
        return softmax(self._branch_output(X, branch), axis=1)

    def predict(self, X, branch="fused"):
        """Most probable class, of the fused model or of one ``branch``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, `n_features_in_`)
        branch : {'fused', 'spectrum', 'tabular'}, default='fused'

        Returns
        -------
        y_pred : ndarray of shape (n_spectra,)
        """
        logits = self._branch_output(X, branch)
        return self.classes_[np.argmax(logits, axis=1)]
