"""The bidirectional LSTM behind :class:`spectra_sklearn.nn.SpectrumRNNClassifier`."""

import torch
from torch import nn

from ._spectrum import SpectrumInput

__all__ = ["SpectrumRNNModule"]


class SpectrumRNNModule(nn.Module):
    """Bidirectional LSTM over the (binned) pixels of a spectrum.

    :class:`~spectra_sklearn.nn.modules.SpectrumInput` → average of
    ``bin_size`` neighbouring pixels (shorter sequences train faster) → LSTM
    of ``n_layers`` layers and ``hidden_size`` units per direction → the
    time-average of its outputs and its last states in both directions →
    dropout → linear layer.

    Notes
    -----
    Input: ``(batch, n_pixels)`` or ``(batch, 2, n_pixels)``; output:
    ``(batch, n_outputs)``.
    """

    def __init__(self, n_outputs, hidden_size=32, n_layers=1, bin_size=4,
                 bidirectional=True, dropout=0.1, input_scaling="dataset",
                 input_shift=0.0, input_scale=1.0, use_ivar=False,
                 noise_scale=0.0, max_shift=0.0):
        super().__init__()
        self.input = SpectrumInput(input_scaling, input_shift, input_scale,
                                   use_ivar, noise_scale, max_shift)
        self.bin = nn.AvgPool1d(bin_size, ceil_mode=True) if bin_size > 1 else nn.Identity()
        self.lstm = nn.LSTM(
            self.input.n_channels, hidden_size, num_layers=n_layers,
            batch_first=True, bidirectional=bidirectional,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        n_directions = 2 if bidirectional else 1
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * n_directions * hidden_size, n_outputs)

    def forward(self, X):
        x = self.bin(self.input(X)).transpose(1, 2)  # (batch, steps, channels)
        out, (h, _) = self.lstm(x)
        n_directions = 2 if self.lstm.bidirectional else 1
        last = h[-n_directions:].transpose(0, 1).flatten(1)
        return self.head(self.dropout(torch.cat([out.mean(dim=1), last], dim=1)))
