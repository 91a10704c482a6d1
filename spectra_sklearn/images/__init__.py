"""Images of galaxies, nebulae and stars as a second kind of input.

Built like the spectra side, so the same ``Pipeline`` / ``GridSearchCV`` /
``cross_val_score`` workflow covers them:

- :class:`ImageBatch` -- an sklearn-indexable batch of images (float32
  pixels ``(n_images, n_bands, height, width)``, band names, metadata);
- :func:`read_image`, :func:`read_images` and the Pipeline step
  :class:`ImageReader` -- JPEG/PNG (Pillow) and FITS (astropy) files, FITS
  values stretched (arcsinh, log, linear with percentile limits; Lupton et
  al. 2004); every bad file is an :class:`ImageReadError` naming it;
- transformers, each taking an ImageBatch or an array and returning the same
  kind: :class:`CenterCrop`, :class:`ImageResizer` (area averaging),
  :class:`BandSelector` and :class:`ChannelStandardizer` (per-band mean and
  standard deviation learned in ``fit``).
"""

from ._batch import ImageBatch, as_image_batch
from ._errors import ImageReadError, ImageReadWarning
from ._read import read_image
from ._reader import ImageReader, read_images
from ._transforms import BandSelector, CenterCrop, ChannelStandardizer, ImageResizer

__all__ = [
    "BandSelector",
    "CenterCrop",
    "ChannelStandardizer",
    "ImageBatch",
    "ImageReadError",
    "ImageReadWarning",
    "ImageReader",
    "ImageResizer",
    "as_image_batch",
    "read_image",
    "read_images",
]
