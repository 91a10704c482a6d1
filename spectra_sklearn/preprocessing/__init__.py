"""Preprocessing steps for spectra: resampling onto a common grid, continuum normalisation.

- :class:`SpectralResampler` -- flux-conserving (SpectRes) or linear resampling
  onto one wavelength grid, propagating inverse variance and mask;
- :class:`ContinuumNormalizer` -- divide by (or subtract) a continuum:
  sigma-clipped polynomial or spline, running percentile, convex hull, or the
  median flux in a window (:data:`TELLURIC_BANDS_NIR` to exclude telluric bands);
- :class:`AirToVacuum`, :class:`VacuumToAir` (and :func:`air_to_vacuum`,
  :func:`vacuum_to_air`) -- IAU air/vacuum wavelength conversion;
- :class:`RestFrameShifter` -- to the rest frame from each spectrum's redshift;
- :class:`ResolutionDegrader` -- Gaussian degradation to a common R or FWHM;
- :class:`WavelengthCropper` -- keep a wavelength range;
- :class:`FluxScaler` -- per-spectrum median, L2, max, min-max or standard scaling;
- :class:`MaskedPixelInterpolator` -- fill masked pixels from good neighbours;
- :class:`SpectrumSmoother` -- Gaussian or Savitzky-Golay smoothing;
- :class:`InstrumentAugmenter` -- randomly perturbed copies as another
  instrument would record them (resolution, S/N, wavelength calibration,
  slope, masked gaps); :class:`AugmentedTrainingClassifier` trains on such
  copies and can average over them at prediction (test-time augmentation);
- :class:`BaseSpectrumTransformer` -- the base every step above derives from
  (validate, then one hook per group of spectra sharing a grid): subclass it
  to write a new step;
- :class:`MetadataFeatures` -- catalogue columns of each spectrum's metadata
  (magnitudes, colours, absolute magnitudes, redshift) as tabular features;
  :func:`add_metadata` adds an external catalogue table to each ``meta``;
  :class:`FluxPixels` and :func:`make_flux_metadata_union` put the flux and
  those columns side by side in one array.
"""

from ._add_metadata import add_metadata
from ._air_vacuum import AirToVacuum, VacuumToAir, air_to_vacuum, vacuum_to_air
from ._augmented_training import AugmentedTrainingClassifier
from ._base import BaseSpectrumTransformer
from ._continuum import ContinuumNormalizer, UndeterminedContinuumWarning
from ._continuum_regions import TELLURIC_BANDS_NIR
from ._crop import WavelengthCropper
from ._flux_pixels import FluxPixels, make_flux_metadata_union
from ._flux_scaling import FluxScaler
from ._instrument_augment import InstrumentAugmenter
from ._mask_interpolation import MaskedPixelInterpolator
from ._metadata import MetadataFeatures
from ._resampler import SpectralResampler
from ._resolution import ResolutionDegrader
from ._rest_frame import RestFrameShifter
from ._smoothing import SpectrumSmoother

__all__ = ["ContinuumNormalizer", "SpectralResampler", "UndeterminedContinuumWarning"]
__all__ += ["TELLURIC_BANDS_NIR"]
__all__ += [
    "AirToVacuum",
    "FluxScaler",
    "MaskedPixelInterpolator",
    "ResolutionDegrader",
    "RestFrameShifter",
    "SpectrumSmoother",
    "VacuumToAir",
    "WavelengthCropper",
    "air_to_vacuum",
    "vacuum_to_air",
]
__all__ += ["FluxPixels", "MetadataFeatures", "add_metadata", "make_flux_metadata_union"]
__all__ += ["BaseSpectrumTransformer"]
__all__ += ["AugmentedTrainingClassifier", "InstrumentAugmenter"]
