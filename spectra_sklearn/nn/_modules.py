"""PyTorch modules behind the neural estimators of :mod:`spectra_sklearn.nn`.

They live in the package (not in a script's ``__main__``) so that fitted
estimators, which hold an instance, can be pickled and loaded elsewhere.
"""

import torch
from torch import nn

__all__ = ["FluxStandardizer", "SpectrumCNNModule"]


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
    """

    def __init__(self, mode="dataset", shift=0.0, scale=1.0):
        super().__init__()
        self.mode = mode
        self.register_buffer("shift", torch.tensor(float(shift)))
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, flux):
        if self.mode == "spectrum":
            x = flux.double()
            mean = x.mean(dim=1, keepdim=True)
            std = x.std(dim=1, keepdim=True, unbiased=False)
            std = torch.where(std > 0, std, torch.ones_like(std))
            return ((x - mean) / std).to(flux.dtype)
        # asinh stretch (Lupton, Gunn & Szalay 1999, AJ 118, 1406): linear
        # within about one unit of the centre, logarithmic beyond, so a few
        # badly normalised spectra (values 1e3 times the typical spread) cannot
        # dominate the batch-normalisation statistics of the layers after it.
        return torch.asinh((flux - self.shift) / self.scale).to(flux.dtype)


class _BatchNorm1d(nn.BatchNorm1d):
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


class SpectrumCNNModule(nn.Module):
    """A 1-D convolutional network over the pixels of a spectrum.

    ``FluxStandardizer`` → ``n_blocks`` × [zero-padded "same" convolution →
    batch normalisation → ReLU → max-pooling by 2 (``ceil_mode=True``)] →
    adaptive average pooling to ``pooled_length`` positions → dropout →
    linear layer. Block
    ``i`` (from 0) has ``n_filters * 2**i`` channels. Because of the "same"
    padding, the rounded-up pooling and the adaptive pooling, any number of
    pixels from 1 upwards is accepted.

    Parameters
    ----------
    n_outputs : int
        Size of the output (number of classes for a classifier: logits).
    n_filters : int, default=16
        Channels of the first block.
    kernel_size : int, default=7
        Convolution kernel length in pixels.
    n_blocks : int, default=3
        Number of convolution blocks.
    dropout : float, default=0.1
        Dropout probability before the linear layer.
    input_scaling : {'dataset', 'spectrum'}, default='dataset'
        See :class:`FluxStandardizer`.
    input_shift, input_scale : float, default=0.0, 1.0
        See :class:`FluxStandardizer`.
    pooled_length : int, default=1
        Positions kept by the adaptive average pooling (1 = global average).

    Notes
    -----
    Input: float tensor of shape ``(batch, n_pixels)``; output: shape
    ``(batch, n_outputs)``.
    """

    def __init__(
        self,
        n_outputs,
        n_filters=16,
        kernel_size=7,
        n_blocks=3,
        dropout=0.1,
        input_scaling="dataset",
        input_shift=0.0,
        input_scale=1.0,
        pooled_length=1,
    ):
        super().__init__()
        self.standardize = FluxStandardizer(input_scaling, input_shift, input_scale)
        left = (kernel_size - 1) // 2
        layers = []
        in_channels = 1
        for i in range(n_blocks):
            out_channels = n_filters * 2**i
            layers += [
                # explicit zero padding = padding="same", without torch's
                # warning for even kernel lengths
                nn.ConstantPad1d((left, kernel_size - 1 - left), 0.0),
                nn.Conv1d(in_channels, out_channels, kernel_size, bias=False),
                _BatchNorm1d(out_channels),
                nn.ReLU(),
                nn.MaxPool1d(2, ceil_mode=True),
            ]
            in_channels = out_channels
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool1d(pooled_length)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(in_channels * pooled_length, n_outputs)

    def forward(self, X):
        x = self.standardize(X).unsqueeze(1)
        x = self.pool(self.features(x)).flatten(1)
        return self.head(self.dropout(x))
