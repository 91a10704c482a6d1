"""Image transformers: centre crop, area-averaging resize, band selection, standardisation."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import OneToOneFeatureMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ._steps import ImageStep, assemble, image_size, read_image_input

__all__ = ["BandSelector", "CenterCrop", "ChannelStandardizer", "ImageResizer"]


class CenterCrop(ImageStep):
    """Keep the central ``size`` pixels of every image.

    Galaxy cutouts are centred on the object, so a centre crop removes sky
    and neighbours. The crop starts at row ``(height - crop_height) // 2``
    and column ``(width - crop_width) // 2`` (an odd crop of an odd image
    keeps the centre pixel at its centre). An image smaller than the crop is
    padded with ``fill`` around it, as torchvision's ``CenterCrop`` does.
    Images of different shapes come out of one shape.

    Parameters
    ----------
    size : int or tuple of (int, int), default=64
        Crop height and width in pixels (one int: a square).
    fill : float, default=0.0
        Value of the padding pixels of an image smaller than the crop
        (0 is black sky for images read into ``[0, 1]``; NaN marks them).

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of a 2-D array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``.

    See Also
    --------
    ImageResizer : Resample to a size by area averaging.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.images import CenterCrop, ImageBatch
    >>> images = ImageBatch.from_arrays(np.arange(25.0).reshape(1, 1, 5, 5))
    >>> CenterCrop(size=3).fit_transform(images).pixels[0, 0]
    array([[ 6.,  7.,  8.],
           [11., 12., 13.],
           [16., 17., 18.]], dtype=float32)
    """

    _parameter_constraints: dict = {"size": [Integral, tuple], "fill": [Real]}

    def __init__(self, size=64, *, fill=0.0):
        self.size = size
        self.fill = fill

    def _check_params(self):
        image_size(self.size, "size", type(self).__name__)

    def _transform_stack(self, stack, band_names):
        ch, cw = image_size(self.size, "size", type(self).__name__)
        n, b, h, w = stack.shape
        if ch > h or cw > w:
            ph, pw = max(ch - h, 0), max(cw - w, 0)
            stack = np.pad(stack, ((0, 0), (0, 0), (ph // 2, ph - ph // 2),
                                   (pw // 2, pw - pw // 2)), constant_values=self.fill)
            h, w = stack.shape[2:]
        top, left = (h - ch) // 2, (w - cw) // 2
        return stack[:, :, top:top + ch, left:left + cw], band_names

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns (for a step fitted on a 2-D array).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input names; ``None``: ``feature_names_in_`` or ``x0 ...``.

        Returns
        -------
        ndarray of str
            The kept input names when the crop only narrows the 1-pixel high
            rows; ``centercrop0``, ... otherwise.
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        ch, cw = image_size(self.size, "size", type(self).__name__)
        if ch == 1 and cw <= self.n_features_in_:
            left = (self.n_features_in_ - cw) // 2
            return np.asarray(names, dtype=object)[left:left + cw]
        return self._generic_feature_names(ch * cw)


_METHODS = {"area": "area", "bilinear": "bilinear", "bicubic": "bicubic",
            "nearest": "nearest-exact"}


def area_weights(n_in, n_out):
    """Fractional-overlap weights of ``n_in`` input pixels in ``n_out`` output pixels.

    Both grids span ``[0, n_in]``: input pixel ``j`` covers ``[j, j + 1]``,
    output pixel ``i`` covers ``[i, i + 1] * n_in / n_out``. Entry ``(i, j)``
    is the length of their overlap; each row sums to ``n_in / n_out``.

    Returns
    -------
    ndarray of shape (n_out, n_in)
    """
    inner = np.arange(n_in + 1.0)
    outer = np.linspace(0.0, float(n_in), n_out + 1)
    overlap = (np.minimum(outer[1:, None], inner[None, 1:])
               - np.maximum(outer[:-1, None], inner[None, :-1]))
    return np.clip(overlap, 0.0, None)


class ImageResizer(ImageStep):
    """Resample every image to ``size`` pixels, by default by area averaging.

    ``method='area'`` gives each output pixel the mean of the input image
    over its area, every input pixel weighted by the fraction of it that the
    output pixel covers: the 2-D counterpart of flux-conserving spectral
    resampling (SpectRes, Carnall 2017), and what OpenCV's ``INTER_AREA``
    does. It is computed as two matrix products with the overlap matrices of
    the rows and of the columns (:func:`area_weights`), in the dtype of the
    input (float32 for a batch), so the mean of each band is conserved exactly
    (to float rounding) for any sizes. A NaN pixel
    gets zero weight and the mean renormalises over the valid area (as the
    spectral resampler does with masked pixels); an output pixel with no
    valid input is NaN. PyTorch's ``interpolate(mode='area')``
    (``adaptive_avg_pool2d``) is not used for this because its windows
    overlap by whole pixels when the sizes are not multiples: on Galaxy Zoo
    cutouts (423 -> 64 pixels) it shifted band means by up to 0.5 %.

    ``'bilinear'`` and ``'bicubic'`` interpolate (PyTorch's ``interpolate``
    with antialiasing when shrinking), ``'nearest'`` picks pixels; NaN
    pixels spread to the output pixels they touch.

    Parameters
    ----------
    size : int or tuple of (int, int), default=64
        Output height and width in pixels (one int: a square).
    method : {'area', 'bilinear', 'bicubic', 'nearest'}, default='area'
        The resampling.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of a 2-D array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``.

    See Also
    --------
    CenterCrop : Cut the centre out instead.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.images import ImageResizer
    >>> X = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> ImageResizer(size=2).fit_transform(X)[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    >>> float(ImageResizer(size=3).fit_transform(X).mean())  # any size keeps the mean
    7.5
    """

    _parameter_constraints: dict = {
        "size": [Integral, tuple],
        "method": [StrOptions(set(_METHODS))],
    }

    def __init__(self, size=64, *, method="area"):
        self.size = size
        self.method = method

    def _check_params(self):
        image_size(self.size, "size", type(self).__name__)

    def _transform_stack(self, stack, band_names):
        size = image_size(self.size, "size", type(self).__name__)
        if self.method == "area":
            rows = area_weights(stack.shape[2], size[0]).astype(stack.dtype)
            cols = area_weights(stack.shape[3], size[1]).astype(stack.dtype)
            valid = np.isfinite(stack)
            if valid.all():  # the usual case: normalised weights, two products
                rows /= rows.sum(axis=1, keepdims=True)
                cols /= cols.sum(axis=1, keepdims=True)
                return rows @ stack @ cols.T, band_names
            total = rows @ np.where(valid, stack, 0) @ cols.T
            area = rows @ valid.astype(stack.dtype) @ cols.T
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(area > 0, total / area, np.nan).astype(stack.dtype), band_names
        import torch
        from torch.nn import functional

        mode = _METHODS[self.method]
        options = {"antialias": True, "align_corners": False} if mode in (
            "bilinear", "bicubic") else {}
        with torch.no_grad():
            out = functional.interpolate(torch.from_numpy(np.array(stack, copy=True)),
                                         size=size, mode=mode, **options)
        return out.numpy(), band_names

    def get_feature_names_out(self, input_features=None):
        """``imageresizer0``, ... one per output pixel (a step fitted on a 2-D array).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Checked against the input names; not used otherwise.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "n_features_in_")
        _check_feature_names_in(self, input_features)
        h, w = image_size(self.size, "size", type(self).__name__)
        return self._generic_feature_names(h * w)


class BandSelector(ImageStep):
    """Keep some bands of every image, by name or position, in the order given.

    Parameters
    ----------
    bands : sequence of str or int, str, int or None, default=None
        Band names (``'r'``, or a FITS ``FILTER`` value) or positions
        (negative ones count from the end); ``None`` keeps every band.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of a 2-D array passed to ``fit`` (arrays only;
        their single band is ``'band0'``, position 0).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.images import BandSelector, ImageBatch
    >>> rgb = ImageBatch.from_arrays(np.ones((2, 3, 4, 4)), band_names=("r", "g", "b"))
    >>> BandSelector(bands=["g", -1]).fit_transform(rgb).band_names
    ('g', 'b')
    """

    _parameter_constraints: dict = {"bands": [list, tuple, str, Integral, None]}

    def __init__(self, bands=None):
        self.bands = bands

    def _wanted(self):
        if self.bands is None:
            return None
        bands = [self.bands] if isinstance(self.bands, (str, Integral)) else list(self.bands)
        for b in bands:
            if not isinstance(b, (str, Integral)) or isinstance(b, bool):
                raise ValueError(
                    "The 'bands' parameter of BandSelector must hold band names (str) or "
                    f"positions (int); got {b!r}."
                )
        if not bands:
            raise ValueError("The 'bands' parameter of BandSelector selects no band: [].")
        return bands

    def _check_params(self):
        self._wanted()

    def _indices(self, band_names):
        wanted = self._wanted()
        if wanted is None:
            return list(range(len(band_names)))
        out = []
        for b in wanted:
            if isinstance(b, str):
                if b not in band_names:
                    raise ValueError(
                        f"BandSelector: band {b!r} is not among the image's bands {band_names}."
                    )
                out.append(band_names.index(b))
            else:
                if not -len(band_names) <= b < len(band_names):
                    raise ValueError(
                        f"BandSelector: band position {b} is out of range for the "
                        f"{len(band_names)} band(s) {band_names}."
                    )
                out.append(int(b) % len(band_names))
        return out

    def _transform_stack(self, stack, band_names):
        keep = self._indices(tuple(band_names))
        return stack[:, keep], tuple(band_names[i] for i in keep)

    def get_feature_names_out(self, input_features=None):
        """Output column names of a step fitted on a 2-D array (one band: kept as is).

        Parameters
        ----------
        input_features : array-like of str, default=None

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "n_features_in_")
        names = np.asarray(_check_feature_names_in(self, input_features), dtype=object)
        keep = self._indices(("band0",))
        return np.concatenate([names] * len(keep))


class ChannelStandardizer(OneToOneFeatureMixin, ImageStep):
    """Standardise each band: subtract its mean and divide by its standard deviation.

    Like :class:`~sklearn.preprocessing.StandardScaler`, but with one mean
    and one standard deviation per *band* (channel), learned in ``fit`` over
    every pixel of every image (NaN pixels ignored), as image networks are
    usually fed. A band of zero variance is only centred.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract the band means.
    with_std : bool, default=True
        Divide by the band standard deviations.

    Attributes
    ----------
    mean_ : ndarray of shape (n_bands,)
        Mean of each band over the fitted pixels (NaN for a band with no
        finite pixel).
    var_ : ndarray of shape (n_bands,)
        Variance of each band (population variance, ddof=0).
    scale_ : ndarray of shape (n_bands,)
        Standard deviation used to divide (1 where the variance is 0).
    n_pixels_seen_ : ndarray of int of shape (n_bands,)
        Finite pixels each band's statistics were computed from.
    band_names_in_ : tuple of str
        Band names of the images seen in ``fit`` (``'band0'``, ... for arrays).
    n_features_in_ : int
        Number of columns of a 2-D array passed to ``fit`` (its rows are one
        1-band image each, so ``mean_`` has one value).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.images import ChannelStandardizer
    >>> X = np.stack([np.full((1, 2, 2), v) for v in (1.0, 3.0)])  # 2 images, 1 band
    >>> scaler = ChannelStandardizer().fit(X)
    >>> scaler.mean_, scaler.scale_
    (array([2.]), array([1.]))
    >>> scaler.transform(X)[:, 0, 0, 0]
    array([-1.,  1.])
    """

    _parameter_constraints: dict = {"with_mean": ["boolean"], "with_std": ["boolean"]}

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def __sklearn_is_fitted__(self):
        return hasattr(self, "mean_")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the mean and standard deviation of each band.

        Parameters
        ----------
        X : ImageBatch, ndarray of shape (n_images, n_bands, height, width) or \
(n_samples, n_features)
            Images (all with the same bands).
        y : None
            Ignored.

        Returns
        -------
        self : ChannelStandardizer

        Raises
        ------
        ValueError
            If the images have different numbers of bands.
        """
        groups, _, _, _ = read_image_input(self, X, reset=True)
        names = {g[2] for g in groups}
        if len({len(n) for n in names}) > 1:
            raise ValueError(
                f"ChannelStandardizer needs images with the same bands; got {sorted(names)}."
            )
        n_bands = len(groups[0][2])
        total = np.zeros(n_bands)
        count = np.zeros(n_bands, dtype=np.int64)
        for _, stack, _ in groups:
            values = np.moveaxis(stack, 1, 0).reshape(n_bands, -1)
            finite = np.isfinite(values)
            total += np.where(finite, values, 0).sum(axis=1, dtype=np.float64)
            count += finite.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / count
        squares = np.zeros(n_bands)
        for _, stack, _ in groups:
            values = np.moveaxis(stack, 1, 0).reshape(n_bands, -1)
            deviation = values - mean[:, None]
            squares += np.square(np.where(np.isfinite(deviation), deviation, 0.0)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(count > 0, squares / np.maximum(count, 1), np.nan)
        self.mean_ = mean
        self.var_ = var
        scale = np.sqrt(var)
        # as StandardScaler: a (numerically) constant band is only centred
        constant = ~(scale > 10 * np.finfo(np.float64).eps * np.abs(mean))
        self.scale_ = np.where(constant, 1.0, scale)
        self.n_pixels_seen_ = count
        self.band_names_in_ = groups[0][2]
        return self

    def _shift_scale(self, n_bands):
        if n_bands != self.mean_.shape[0]:
            raise ValueError(
                f"ChannelStandardizer was fitted on images of {self.mean_.shape[0]} band(s) "
                f"{self.band_names_in_}; these have {n_bands}."
            )
        shift = self.mean_ if self.with_mean else np.zeros_like(self.mean_)
        scale = self.scale_ if self.with_std else np.ones_like(self.scale_)
        return shift[None, :, None, None], scale[None, :, None, None]

    def _transform_stack(self, stack, band_names):
        shift, scale = self._shift_scale(stack.shape[1])
        return (stack - shift.astype(stack.dtype)) / scale.astype(stack.dtype), band_names

    def inverse_transform(self, X):
        """Undo the standardisation.

        Parameters
        ----------
        X : ImageBatch or ndarray
            Standardised images, as ``transform`` returns them.

        Returns
        -------
        ImageBatch or ndarray
            The same kind as ``X``.
        """
        check_is_fitted(self)
        groups, kind, dtype, batch = read_image_input(self, X, reset=False)
        out = []
        for rows, stack, names in groups:
            shift, scale = self._shift_scale(stack.shape[1])
            out.append((rows, stack * scale.astype(stack.dtype) + shift.astype(stack.dtype),
                        names))
        return assemble(out, kind, dtype, batch)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags
