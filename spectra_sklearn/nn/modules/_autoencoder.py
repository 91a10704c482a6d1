"""The encoder/decoder behind :class:`spectra_sklearn.nn.SpectrumAutoencoder`."""

import math

from torch import nn

from ._spectrum import BatchNorm1d, ConvTrunk, same_conv

__all__ = ["SpectrumAutoencoderModule"]


class SpectrumAutoencoderModule(nn.Module):
    """Encoder to ``n_components`` numbers and decoder back to ``n_pixels``.

    ``'conv'``: encoder :class:`~spectra_sklearn.nn.modules.ConvTrunk`
    (residual blocks, average pooling to 8 positions) → linear; decoder
    linear → ``n_blocks`` × [nearest-neighbour upsampling by 2 → "same"
    convolution → batch normalisation → ReLU] → "same" convolution to one
    channel, cropped to ``n_pixels``. ``'dense'``: ``n_pixels → hidden_size
    → n_components → hidden_size → n_pixels`` with ReLU between.

    Notes
    -----
    Works on standardised flux: input and output ``(batch, n_pixels)``;
    :meth:`encode` gives ``(batch, n_components)``, :meth:`decode` the
    inverse.
    """

    def __init__(self, n_pixels, n_components=8, architecture="conv", n_filters=16,
                 kernel_size=7, n_blocks=3, hidden_size=128):
        super().__init__()
        self.n_pixels = n_pixels
        self.architecture = architecture
        if architecture == "dense":
            self.encoder = nn.Sequential(
                nn.Linear(n_pixels, hidden_size), nn.ReLU(),
                nn.Linear(hidden_size, n_components),
            )
            self.decoder = nn.Sequential(
                nn.Linear(n_components, hidden_size), nn.ReLU(),
                nn.Linear(hidden_size, n_pixels),
            )
            return
        self.trunk = ConvTrunk(1, n_filters, kernel_size, n_blocks, dilation=2,
                               pooled_length=8)
        self.to_code = nn.Linear(self.trunk.n_features, n_components)
        self.seed_length = math.ceil(n_pixels / 2**n_blocks)
        self.seed_channels = self.trunk.n_channels
        self.from_code = nn.Linear(n_components, self.seed_channels * self.seed_length)
        layers = []
        channels = self.seed_channels
        for i in reversed(range(n_blocks)):
            out_channels = n_filters * 2 ** max(i - 1, 0)
            layers += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                same_conv(channels, out_channels, kernel_size),
                BatchNorm1d(out_channels),
                nn.ReLU(),
            ]
            channels = out_channels
        layers.append(same_conv(channels, 1, kernel_size))
        self.upsample = nn.Sequential(*layers)

    def encode(self, z):
        if self.architecture == "dense":
            return self.encoder(z)
        return self.to_code(self.trunk(z.unsqueeze(1)))

    def decode(self, code):
        if self.architecture == "dense":
            return self.decoder(code)
        x = self.from_code(code).view(-1, self.seed_channels, self.seed_length)
        return self.upsample(x)[:, 0, : self.n_pixels]

    def forward(self, z):
        return self.decode(self.encode(z))
