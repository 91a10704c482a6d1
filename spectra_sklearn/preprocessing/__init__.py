"""Preprocessing steps for spectra: resampling onto a common grid, continuum normalisation.

- :class:`SpectralResampler` -- flux-conserving (SpectRes) or linear resampling
  onto one wavelength grid, propagating inverse variance and mask;
- :class:`ContinuumNormalizer` -- divide by (or subtract) a sigma-clipped
  polynomial continuum or the median flux in a window.
"""

from ._continuum import ContinuumNormalizer, UndeterminedContinuumWarning
from ._resampler import SpectralResampler

__all__ = ["ContinuumNormalizer", "SpectralResampler", "UndeterminedContinuumWarning"]
