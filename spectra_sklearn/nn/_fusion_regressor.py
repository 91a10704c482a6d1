"""SpectrumFusionRegressor: continuous targets from a spectrum and catalogue columns."""


import torch
from scipy.special import softmax
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from ._base import (
    BaseSpectrumNet,
)
from ._fusion import (
    _ATTRIBUTES_DOC,
    _COMMON_DOC,
    _FUSION_CONSTRAINTS,
    _PARAMS_DOC,
    _REFERENCES_DOC,
    _FusionNetMixin,
    _init_params,
)
from ._regressor import (
    SpectrumCNNRegressor,
    check_single_target_for_log_loss,
    encode_regression_target,
)
from .modules import FusionLoss, SpectrumFusionModule

__all__ = ["SpectrumFusionRegressor"]


class SpectrumFusionRegressor(RegressorMixin, _FusionNetMixin, BaseSpectrumNet):
    __doc__ = """Predict continuous quantities from a spectrum and catalogue columns.

    The network of :class:`SpectrumFusionClassifier` with one output per
    target in every head, trained on the ``loss`` of the standardised
    targets, exactly as :class:`SpectrumCNNRegressor` (same loss options,
    including ``'log_loss'``: one output per distinct training value, the
    cross-entropy, and the probability-weighted mean as prediction, the
    "deep expectation" of Rothe et al. 2018, for spectral subtypes).

    Parameters
    ----------
    loss : {{'squared_error', 'absolute_error', 'huber', 'log_loss'}}, \
default='squared_error'
        See :class:`SpectrumCNNRegressor`; applied to every head.
{params}{common}
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    y_mean_, y_scale_ : ndarray of shape (`n_outputs_`,)
        Mean and standard deviation (1 where 0) of the training targets.
    target_values_ : ndarray of shape (n_target_values,)
        Distinct training values (``loss='log_loss'`` only).
{attributes}
    See Also
    --------
    SpectrumFusionClassifier : The same network for class labels.
    SpectrumCNNRegressor : The spectrum alone.

    References
    ----------
{references}    .. [4] R. Rothe, R. Timofte and L. Van Gool, "Deep expectation of real
       and apparent age from a single image without facial landmarks",
       IJCV 126, 144-157 (2018), doi:10.1007/s11263-016-0940-3.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.nn import SpectrumFusionRegressor
    >>> rng = np.random.default_rng(0)
    >>> depth = rng.uniform(0.1, 0.9, 100)
    >>> flux = 1 - depth[:, None] * np.exp(-0.5 * ((np.arange(30) - 15) / 3) ** 2)
    >>> X = np.column_stack([flux, rng.normal(size=100)])
    >>> reg = SpectrumFusionRegressor(n_filters=4, n_blocks=2, max_epochs=20,
    ...                               random_state=0).fit(X, depth)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> float(reg.score(X, depth)) > 0.7
    True
    """.format(params=_PARAMS_DOC, common=_COMMON_DOC.format(stratified=""),
               attributes=_ATTRIBUTES_DOC, references=_REFERENCES_DOC)

    _losses = SpectrumCNNRegressor._losses
    _parameter_constraints: dict = {
        **BaseSpectrumNet._parameter_constraints,
        **_FUSION_CONSTRAINTS,
        "loss": [StrOptions(set(_losses))],
    }
    _module_class = SpectrumFusionModule
    _criterion = FusionLoss
    _y_numeric = True
    _saved_private_attributes = (*BaseSpectrumNet._saved_private_attributes, "_y_1d")
    # log_loss handling shared with the CNN regressor
    _multi_output = SpectrumCNNRegressor._multi_output
    _net_class = SpectrumCNNRegressor._net_class

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = self._multi_output
        # as SpectrumCNNRegressor: log_loss is for targets on a few discrete
        # values, not the 200 continuous ones of scikit-learn's score check
        tags.regressor_tags.poor_score = self.loss == "log_loss"
        return tags

    def __init__(
        self, *, loss="squared_error", n_tabular_features=1, spectrum_branch="cnn",
        fusion="attention", embed_dim=32, n_heads=4, tabular_hidden_size=32,
        auxiliary_weight=0.5, n_filters=16, kernel_size=7, n_blocks=3, dilation=2,
        pooled_length=16, hidden_size=32, n_layers=1, bin_size=4, dropout=0.1,
        shift_augmentation=0.0, input_scaling="dataset", lr=1e-3, lr_schedule="cosine",
        max_epochs=30, batch_size=64, optimizer=torch.optim.AdamW, weight_decay=1e-2,
        early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
        random_state=None, device="cpu", n_threads=1, verbose=0,
    ):
        _init_params(self, {k: v for k, v in locals().items() if k != "self"})

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on ``X = [flux | catalogue columns]`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels + n_tabular_features)
            Flux (finite), then catalogue columns (NaN = missing).
        y : array-like of shape (n_spectra,) or (n_spectra, n_targets)
            Finite numeric targets; a single target with ``loss='log_loss'``.

        Returns
        -------
        self : SpectrumFusionRegressor

        Raises
        ------
        ValueError
            As :meth:`SpectrumFusionClassifier.fit`, and if ``y`` has several
            targets with ``loss='log_loss'``.
        """
        check_single_target_for_log_loss(self.loss, y)
        X_net, y, flux = self._prepare(X, y)
        y_net, n_net_outputs = encode_regression_target(self, y)
        self.net_ = self._fit_net(
            self._net_class, self._module_class, X_net, y_net,
            module_params=self._module_params(n_net_outputs, flux),
            criterion=self._criterion,
            criterion_params={"base": self._losses[self.loss],
                              "auxiliary_weight": self.auxiliary_weight},
        )
        self._set_fit_attributes()
        return self

    def predict(self, X, branch="fused"):
        """Predicted targets, of the fused model or of one ``branch``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, `n_features_in_`)
            Flux then catalogue columns, as in ``fit``.
        branch : {'fused', 'spectrum', 'tabular'}, default='fused'
            Whose prediction (see :meth:`SpectrumFusionClassifier.predict_proba`).

        Returns
        -------
        y_pred : ndarray of shape (n_spectra,) or (n_spectra, n_targets)
            1-D when ``y`` was 1-D in ``fit``.
        """
        out = self._branch_output(X, branch)
        if hasattr(self, "target_values_"):
            out = (softmax(out, axis=1) @ self.target_values_)[:, None]
        else:
            out = out * self.y_scale_ + self.y_mean_
        return out.ravel() if self._y_1d else out
