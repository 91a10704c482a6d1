"""PyTorch modules behind the neural estimators of :mod:`spectra_sklearn.nn`.

They live in the package (not in a script's ``__main__``) so that fitted
estimators, which hold an instance, can be pickled and loaded elsewhere.
"""

import torch
from torch import nn

from ._augment import SpectrumAugmenter

__all__ = [
    "BatchNorm1d",
    "ConvTrunk",
    "FluxStandardizer",
    "ResidualConvBlock",
    "SpectrumCNNModule",
    "SpectrumInput",
    "same_conv",
]


class FluxStandardizer(nn.Module):
    """Bring flux of any scale to zero mean and unit spread.

    Parameters
    ----------
    mode : {'dataset', 'spectrum'}, default='dataset'
        ``'dataset'`` subtracts ``shift``, divides by ``scale`` (one number
        each, measured on the training flux) and applies an asinh stretch,
        which is linear near the centre and compresses outliers, so the shape
        of each spectrum and the relative brightness between spectra are kept.
        ``'spectrum'`` standardises each spectrum with its own mean and
        standard deviation over its pixels, so only the spectral shape is
        kept (a spectrum of a single pixel becomes 0).
    shift, scale : float, default=0.0, 1.0
        Used when ``mode='dataset'``; ``scale`` must be positive.

    Notes
    -----
    Input of shape ``(n_spectra, n_pixels)``, output of the same shape. The
    per-spectrum statistics are computed in float64 so that raw flux of order
    1e-15 erg s-1 cm-2 Å-1 or 1e-18 W m-2 µm-1 keeps its precision.
    :meth:`flux_scale` gives the scale that divided each spectrum.
    """

    def __init__(self, mode="dataset", shift=0.0, scale=1.0):
        super().__init__()
        self.mode = mode
        self.register_buffer("shift", torch.tensor(float(shift)))
        self.register_buffer("scale", torch.tensor(float(scale)))

    def _spectrum_stats(self, flux):
        x = flux.double()
        # NaN pixels (missing) do not count; a spectrum without any is as before.
        mean = x.nanmean(dim=1, keepdim=True)
        std = (x - mean).square().nanmean(dim=1, keepdim=True).sqrt()
        std = torch.where(std > 0, std, torch.ones_like(std))
        return x, mean, std

    def flux_scale(self, flux):
        """The flux unit of the output: ``(n_spectra, 1)`` (float64 per spectrum)."""
        if self.mode == "spectrum":
            return self._spectrum_stats(flux)[2]
        return self.scale.expand(flux.shape[0], 1)

    def forward(self, flux):
        if self.mode == "spectrum":
            x, mean, std = self._spectrum_stats(flux)
            return ((x - mean) / std).to(flux.dtype)
        # asinh stretch (Lupton, Gunn & Szalay 1999, AJ 118, 1406): linear
        # within about one unit of the centre, logarithmic beyond, so a few
        # badly normalised spectra (values 1e3 times the typical spread) cannot
        # dominate the batch-normalisation statistics of the layers after it.
        return torch.asinh((flux - self.shift) / self.scale).to(flux.dtype)


class SpectrumInput(nn.Module):
    """Network input: augmented, standardised flux and optional ivar channel.

    Parameters
    ----------
    input_scaling, input_shift, input_scale
        See :class:`FluxStandardizer`.
    use_ivar : bool, default=False
        Add a second channel ``asinh(sqrt(ivar) * s)``, where ``s`` is the
        flux scale of the standardisation: the per-pixel signal-to-noise in
        standardised units, 0 where the pixel carries no information.
    noise_scale, max_shift : float, default=0.0
        Training-time augmentation, see :class:`SpectrumAugmenter`.

    Notes
    -----
    Input: ``(batch, n_pixels)`` flux, or ``(batch, 2, n_pixels)`` flux and
    inverse variance. Output: ``(batch, 1 + use_ivar, n_pixels)``. NaN flux
    (a missing or masked pixel) is 0 in the output (the centre of the scaled
    flux) and does not count in ``'spectrum'`` scaling.
    """

    def __init__(self, input_scaling="dataset", input_shift=0.0, input_scale=1.0,
                 use_ivar=False, noise_scale=0.0, max_shift=0.0):
        super().__init__()
        self.standardize = FluxStandardizer(input_scaling, input_shift, input_scale)
        self.augment = SpectrumAugmenter(noise_scale, max_shift)
        self.use_ivar = bool(use_ivar)

    @property
    def n_channels(self):
        return 1 + self.use_ivar

    def forward(self, X):
        if X.dim() == 3:
            flux, ivar = X[:, 0], X[:, 1]
        else:
            flux, ivar = X, None
        flux, ivar = self.augment(flux, ivar)
        z = self.standardize(flux)
        # Missing pixels (NaN flux) become 0, the centre of the scaled flux; with
        # the ivar channel their inverse variance is 0 too (set by the estimator).
        z = torch.where(torch.isnan(z), torch.zeros_like(z), z)
        if not self.use_ivar:
            return z.unsqueeze(1)
        if ivar is None:
            raise ValueError(
                "This network was trained with use_ivar=True and needs the inverse "
                "variance of the spectra; got flux only."
            )
        snr = ivar.double().sqrt() * self.standardize.flux_scale(flux)
        return torch.stack([z, torch.asinh(snr).to(z.dtype)], dim=1)


class BatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d that accepts one value per channel while training.

    A training batch of one spectrum whose feature map has one pixel (the
    last, incomplete batch of an epoch on data with very few pixels) has no
    spread to normalise with; plain BatchNorm1d raises. This one then
    normalises with its running statistics, as in evaluation, and leaves them
    unchanged.
    """

    def forward(self, x):
        if self.training and x.shape[0] * x.shape[-1] == 1:
            return nn.functional.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias,
                False, 0.0, self.eps,
            )
        return super().forward(x)


def same_conv(in_channels, out_channels, kernel_size, dilation=1):
    """Zero padding + convolution keeping the length ("same", any kernel).

    Explicit padding instead of ``padding="same"``: no torch warning for even
    kernel lengths.
    """
    total = dilation * (kernel_size - 1)
    return nn.Sequential(
        nn.ConstantPad1d((total // 2, total - total // 2), 0.0),
        nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation, bias=False),
    )


class ResidualConvBlock(nn.Module):
    """Two convolutions with a shortcut, then max-pooling by 2.

    ``x → conv(k) → BN → ReLU → conv(k, dilation) → BN``, added to ``x``
    (through a 1×1 convolution when the channels change) → ReLU → max-pool
    by 2 (``ceil_mode=True``, so one pixel stays one pixel). The residual form
    is that of He et al. (2016); the dilated second convolution widens the
    receptive field without more weights (Yu & Koltun 2016), so broad
    absorption bands are seen whole.
    """

    def __init__(self, in_channels, out_channels, kernel_size, dilation=1):
        super().__init__()
        self.body = nn.Sequential(
            same_conv(in_channels, out_channels, kernel_size),
            BatchNorm1d(out_channels),
            nn.ReLU(),
            same_conv(out_channels, out_channels, kernel_size, dilation),
            BatchNorm1d(out_channels),
        )
        if in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv1d(in_channels, out_channels, 1, bias=False),
                BatchNorm1d(out_channels),
            )
        self.pool = nn.MaxPool1d(2, ceil_mode=True)

    def forward(self, x):
        return self.pool(torch.relu(self.body(x) + self.shortcut(x)))


class ConvTrunk(nn.Module):
    """``n_blocks`` residual blocks then adaptive average pooling, flattened.

    Block ``i`` (from 0) has ``n_filters * 2**i`` channels; the output has
    ``n_features = n_filters * 2**(n_blocks - 1) * pooled_length`` values.
    Any number of input pixels from 1 upwards is accepted.
    """

    def __init__(self, in_channels=1, n_filters=16, kernel_size=7, n_blocks=3,
                 dilation=2, pooled_length=1):
        super().__init__()
        blocks = []
        for i in range(n_blocks):
            out_channels = n_filters * 2**i
            blocks.append(ResidualConvBlock(in_channels, out_channels, kernel_size, dilation))
            in_channels = out_channels
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool1d(pooled_length)
        self.n_channels = in_channels
        self.n_features = in_channels * pooled_length

    def forward(self, x):
        return self.pool(self.blocks(x)).flatten(1)


class SpectrumCNNModule(nn.Module):
    """A residual, dilated 1-D convolutional network over a spectrum's pixels.

    :class:`SpectrumInput` (augmentation while training, standardisation,
    optional ivar channel) → :class:`ConvTrunk` (``n_blocks`` residual
    blocks, adaptive average pooling to ``pooled_length`` positions) →
    dropout → linear layer.

    Parameters
    ----------
    n_outputs : int
        Size of the output (number of classes for a classifier: logits).
    n_filters : int, default=16
        Channels of the first block.
    kernel_size : int, default=7
        Convolution kernel length in pixels.
    n_blocks : int, default=3
        Number of residual blocks.
    dilation : int, default=2
        Dilation of the second convolution of each block.
    dropout : float, default=0.1
        Dropout probability before the linear layer.
    input_scaling : {'dataset', 'spectrum'}, default='dataset'
        See :class:`FluxStandardizer`.
    input_shift, input_scale : float, default=0.0, 1.0
        See :class:`FluxStandardizer`.
    pooled_length : int, default=1
        Positions kept by the adaptive average pooling (1 = global average).
    use_ivar, noise_scale, max_shift
        See :class:`SpectrumInput`.

    Notes
    -----
    Input: float tensor of shape ``(batch, n_pixels)`` or ``(batch, 2,
    n_pixels)`` (flux, inverse variance); output: ``(batch, n_outputs)``.
    """

    def __init__(
        self,
        n_outputs,
        n_filters=16,
        kernel_size=7,
        n_blocks=3,
        dilation=2,
        dropout=0.1,
        input_scaling="dataset",
        input_shift=0.0,
        input_scale=1.0,
        pooled_length=1,
        use_ivar=False,
        noise_scale=0.0,
        max_shift=0.0,
    ):
        super().__init__()
        self.input = SpectrumInput(input_scaling, input_shift, input_scale,
                                   use_ivar, noise_scale, max_shift)
        self.trunk = ConvTrunk(self.input.n_channels, n_filters, kernel_size,
                               n_blocks, dilation, pooled_length)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.trunk.n_features, n_outputs)

    def forward(self, X):
        return self.head(self.dropout(self.trunk(self.input(X))))
