"""Training-time augmentation of spectra: noise from the uncertainties, shifts.

Both act on float tensors in the network (so they draw from torch's random
generator, which the estimators seed from ``random_state``) and only while
the module is training.
"""

import torch
from torch import nn

__all__ = ["SpectrumAugmenter", "shift_pixels"]


def shift_pixels(x, shift):
    """Shift each spectrum of ``x`` along its pixels by a fractional amount.

    Linear interpolation between neighbouring pixels; outside the spectrum the
    edge value is repeated.

    Parameters
    ----------
    x : Tensor of shape (batch, channels, n_pixels)
    shift : Tensor of shape (batch,)
        Shift in pixels; positive moves features to larger pixel indices.

    Returns
    -------
    Tensor of the shape of ``x``
    """
    n_pixels = x.shape[-1]
    position = torch.arange(n_pixels, device=x.device, dtype=x.dtype)
    position = (position[None, :] - shift[:, None].to(x.dtype)).clamp(0, n_pixels - 1)
    lower = position.floor()
    frac = (position - lower)[:, None, :]
    lower = lower.long()
    upper = (lower + 1).clamp(max=n_pixels - 1)
    index_shape = (x.shape[0], x.shape[1], n_pixels)
    left = torch.gather(x, 2, lower[:, None, :].expand(index_shape))
    right = torch.gather(x, 2, upper[:, None, :].expand(index_shape))
    return left + frac * (right - left)


class SpectrumAugmenter(nn.Module):
    """Random perturbations of the training spectra (identity in evaluation).

    Parameters
    ----------
    noise_scale : float, default=0.0
        Gaussian noise of standard deviation ``noise_scale / sqrt(ivar)``
        (the flux uncertainty) is added to every pixel with a known,
        positive inverse variance -- new realisations of the observation's
        own noise (e.g. Fabbro et al. 2018, MNRAS 475, 2978). Pixels without
        an inverse variance are left alone.
    max_shift : float, default=0.0
        Each spectrum is shifted by a uniform random ``[-max_shift,
        max_shift]`` pixels (linear interpolation), mimicking small
        wavelength-calibration or radial-velocity offsets.

    Notes
    -----
    Input: ``(flux, ivar)``, each of shape ``(batch, n_pixels)``; ``ivar`` may
    be ``None``. Output: the perturbed pair.
    """

    def __init__(self, noise_scale=0.0, max_shift=0.0):
        super().__init__()
        self.noise_scale = float(noise_scale)
        self.max_shift = float(max_shift)

    def forward(self, flux, ivar=None):
        if not self.training:
            return flux, ivar
        if self.noise_scale > 0 and ivar is not None:
            sigma = torch.where(ivar > 0, ivar.clamp(min=1e-30).rsqrt(),
                                torch.zeros_like(ivar))
            flux = flux + self.noise_scale * sigma * torch.randn_like(flux)
        if self.max_shift > 0 and flux.shape[-1] > 1:
            shift = (2 * torch.rand(flux.shape[0], device=flux.device) - 1) * self.max_shift
            stacked = flux[:, None, :] if ivar is None else torch.stack([flux, ivar], 1)
            stacked = shift_pixels(stacked, shift)
            flux = stacked[:, 0]
            ivar = None if ivar is None else stacked[:, 1]
        return flux, ivar
