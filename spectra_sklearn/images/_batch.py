"""Many images, of one common shape or each its own, indexable by sklearn."""

import numbers

import numpy as np

__all__ = ["ImageBatch", "as_image_batch", "default_band_names"]


def default_band_names(n_bands):
    """``('band0', 'band1', ...)``: the names of bands nothing else names."""
    return tuple(f"band{i}" for i in range(n_bands))


class ImageBatch:
    """An indexable collection of images that travels through a Pipeline.

    The image counterpart of :class:`~spectra_sklearn.SpectrumBatch`. A batch
    is stored in one of two ways:

    * **common shape** -- all images have the same bands, height and width:
      one float32 array ``pixels`` of shape ``(n_images, n_bands, height,
      width)`` (channels first, as PyTorch expects), which
      ``np.asarray(batch)`` returns;
    * **ragged** -- each image keeps its own shape (what
      :func:`~spectra_sklearn.images.read_images` returns for files of
      different sizes); :class:`~spectra_sklearn.images.CenterCrop` or
      :class:`~spectra_sklearn.images.ImageResizer` bring them to one shape.

    The band names and the metadata of each image (``source`` file, FITS
    header, original size ...) travel with the pixels. scikit-learn indexes a
    batch like an array (``len``, ``shape``, ``batch[indices]``), so
    cross-validation splitters, ``cross_val_score`` and ``GridSearchCV`` work
    with a batch as ``X``.

    Parameters
    ----------
    images : array-like of shape (n_images, n_bands, height, width) or sequence of \
array-like of shape (n_bands, height, width)
        The pixels, converted to float32. A sequence of 3-D arrays of one
        shape is stacked; of different shapes it is kept ragged.
    band_names : sequence of str, sequence of sequences of str, or None, default=None
        One name per band shared by all images (e.g. ``('r', 'g', 'b')``),
        or one such sequence per image; ``None`` names them ``'band0'``,
        ``'band1'`` ...
    meta : sequence of dict or None, default=None
        One metadata dict per image (copied); ``None`` gives empty dicts.

    Attributes
    ----------
    shape : tuple of int
        ``(n_images, n_bands, height, width)`` for a common shape, else
        ``(n_images,)``.
    common_shape : bool
        Whether all images share one shape (and ``pixels`` exists).

    Raises
    ------
    ValueError
        If an image is not 3-D, has no pixel, or the band names or metadata do
        not match the images.

    See Also
    --------
    read_images : Read image files into a batch.
    ImageReader : The same as a Pipeline step.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.images import ImageBatch
    >>> batch = ImageBatch.from_arrays(np.zeros((4, 3, 8, 8)), band_names=("r", "g", "b"))
    >>> batch
    ImageBatch(n_images=4, common shape (3, 8, 8), band_names=('r', 'g', 'b'))
    >>> batch.pixels.dtype, len(batch[[0, 2]]), batch[1].shape
    (dtype('float32'), 2, (3, 8, 8))
    >>> ragged = ImageBatch([np.ones((1, 4, 4)), np.ones((1, 5, 6))])
    >>> ragged.shape, ragged.common_shape
    ((2,), False)
    """

    def __init__(self, images=(), band_names=None, meta=None):
        if isinstance(images, np.ndarray) and images.ndim == 4:
            arrays = None
            stacked = images
        else:
            arrays = [np.asarray(a) for a in images]
            for i, a in enumerate(arrays):
                if a.ndim != 3:
                    raise ValueError(
                        "ImageBatch needs each image as an array of shape (n_bands, height, "
                        f"width); image {i} has shape {a.shape}."
                    )
            shapes = {a.shape for a in arrays}
            stacked = np.stack(arrays) if len(shapes) == 1 else None
        if stacked is not None:
            if stacked.ndim != 4:
                raise ValueError(
                    "ImageBatch needs pixels of shape (n_images, n_bands, height, width); "
                    f"got shape {stacked.shape}."
                )
            self._pixels = np.ascontiguousarray(stacked, dtype=np.float32)
            self._images = None
            shapes = [self._pixels.shape[1:]] * self._pixels.shape[0]
        else:
            self._pixels = None
            self._images = [np.ascontiguousarray(a, dtype=np.float32) for a in arrays]
            shapes = [a.shape for a in self._images]
        n = len(shapes)
        if any(0 in s for s in shapes):
            raise ValueError(
                f"ImageBatch images must have pixels; got shapes {sorted(set(shapes))}.")
        self._band_names = _band_names_per_image(band_names, shapes)
        if meta is None:
            self._meta = [{} for _ in range(n)]
        else:
            self._meta = [dict(m) for m in meta]
            if len(self._meta) != n:
                raise ValueError(f"meta has {len(self._meta)} entries for {n} images.")

    @classmethod
    def from_arrays(cls, pixels, band_names=None, meta=None):
        """Build a batch from pixel arrays.

        Parameters
        ----------
        pixels : array-like of shape (n_images, n_bands, height, width) or sequence of \
array-like of shape (n_bands, height, width)
            The pixels (any real dtype; stored as float32).
        band_names : sequence of str or None, default=None
            Band names shared by all images; ``None``: ``'band0'``, ...
        meta : sequence of dict or None, default=None
            One dict per image.

        Returns
        -------
        ImageBatch

        Examples
        --------
        >>> import numpy as np
        >>> from spectra_sklearn.images import ImageBatch
        >>> ImageBatch.from_arrays(np.ones((2, 1, 3, 3))).band_names
        ('band0',)
        """
        if not isinstance(pixels, (list, tuple)):
            pixels = np.asarray(pixels)
            if pixels.ndim != 4:
                raise ValueError(
                    "ImageBatch.from_arrays needs pixels of shape (n_images, n_bands, height, "
                    f"width) or a list of (n_bands, height, width) arrays; got shape "
                    f"{pixels.shape}."
                )
        return cls(pixels, band_names=band_names, meta=meta)

    @classmethod
    def concatenate(cls, batches):
        """One batch holding the images of ``batches``, in order.

        Parameters
        ----------
        batches : sequence of ImageBatch

        Returns
        -------
        ImageBatch
            Of a common shape when all images share one.
        """
        batches = list(batches)
        images = [img for b in batches for img in b.images]
        names = [bn for b in batches for bn in b._band_names]
        meta = [m for b in batches for m in b._meta]
        return cls(images, band_names=names, meta=meta)

    # -- sequence protocol -------------------------------------------------
    def __len__(self):
        return self._pixels.shape[0] if self._pixels is not None else len(self._images)

    @property
    def shape(self):
        """``(n_images, n_bands, height, width)``, or ``(n_images,)`` when ragged."""
        if self._pixels is not None:
            return self._pixels.shape
        return (len(self._images),)

    @property
    def common_shape(self):
        """Whether all images share one shape."""
        return self._pixels is not None

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, key):
        # sklearn's _safe_indexing calls ``X[key, ...]`` on objects with a shape.
        if isinstance(key, tuple):
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            else:
                raise IndexError(
                    f"An ImageBatch is indexed by image only (one key); got {len(key)} keys. "
                    "Index batch.pixels for pixels."
                )
        n = len(self)
        if isinstance(key, numbers.Integral):
            if not -n <= key < n:
                raise IndexError(f"Image index {key} is out of range for {n} images.")
            return self.images[int(key) % n] if self._pixels is None else self._pixels[int(key)]
        if isinstance(key, slice):
            positions = np.arange(n)[key]
        else:
            key = np.asarray(key)
            if key.dtype == bool:
                if key.shape != (n,):
                    raise IndexError(f"A boolean index must have shape ({n},); got {key.shape}.")
                positions = np.flatnonzero(key)
            elif key.size == 0:
                positions = key.astype(np.intp).ravel()
            elif not np.issubdtype(key.dtype, np.integer):
                raise IndexError(
                    "Index an ImageBatch with an int, a slice, integers or booleans; got an "
                    f"array of {key.dtype}."
                )
            else:
                positions = np.arange(n)[key.ravel()]
        out = ImageBatch.__new__(ImageBatch)
        if self._pixels is not None:
            out._pixels, out._images = self._pixels[positions], None
        else:
            picked = [self._images[i] for i in positions]
            if picked and len({a.shape for a in picked}) == 1:
                out._pixels, out._images = np.stack(picked), None
            else:
                out._pixels, out._images = None, picked
        out._band_names = [self._band_names[i] for i in positions]
        out._meta = [self._meta[i] for i in positions]
        return out

    # -- views ----------------------------------------------------------------
    @property
    def pixels(self):
        """ndarray of float32 of shape (n_images, n_bands, height, width).

        Raises ValueError for a ragged batch (images of different shapes).
        """
        if self._pixels is None:
            shapes = sorted({a.shape for a in self._images})
            raise ValueError(
                f"ImageBatch.pixels needs images of one shape, but these {len(self)} images "
                f"have {len(shapes)} shapes (e.g. {shapes[:3]}). Put a "
                "spectra_sklearn.images.CenterCrop or ImageResizer before this step."
            )
        return self._pixels

    @property
    def images(self):
        """list of ndarray of shape (n_bands, height, width): each image (views)."""
        if self._pixels is not None:
            return list(self._pixels)
        return list(self._images)

    @property
    def band_names(self):
        """tuple of str: the band names shared by all images.

        Raises ValueError when the images have different bands (their own
        names are in ``band_names_per_image``).
        """
        distinct = set(self._band_names)
        if len(distinct) > 1:
            raise ValueError(
                f"These {len(self)} images have different bands: {sorted(distinct)[:4]}. "
                "Select common bands with spectra_sklearn.images.BandSelector, or read "
                "them with mode='RGB'."
            )
        return self._band_names[0] if self._band_names else ()

    @property
    def band_names_per_image(self):
        """list of tuple of str: the band names of each image."""
        return list(self._band_names)

    @property
    def n_bands(self):
        """int: the number of bands (raises like ``band_names`` when they differ)."""
        return len(self.band_names)

    @property
    def meta(self):
        """list of dict: the metadata of each image (``source``, ``format`` ...)."""
        return list(self._meta)

    def __array__(self, dtype=None, copy=None):
        pixels = self.pixels
        if dtype is not None and pixels.dtype != dtype:
            return pixels.astype(dtype)
        return pixels.copy() if copy else pixels

    def __repr__(self):
        if self._pixels is not None:
            layout = f"common shape {tuple(self._pixels.shape[1:])}"
        else:
            layout = "ragged"
        distinct = set(self._band_names)
        bands = (f"band_names={self._band_names[0]}" if len(distinct) == 1
                 else f"{len(distinct)} band layouts" if distinct else "no bands")
        return f"ImageBatch(n_images={len(self)}, {layout}, {bands})"


def _band_names_per_image(band_names, shapes):
    n = len(shapes)
    if band_names is None:
        return [default_band_names(s[0]) for s in shapes]
    if isinstance(band_names, str):
        band_names = (band_names,)
    band_names = list(band_names)
    if all(isinstance(b, str) for b in band_names):
        per_image = [tuple(band_names)] * n
    else:
        per_image = [tuple(str(x) for x in b) for b in band_names]
        if len(per_image) != n:
            raise ValueError(f"band_names has {len(per_image)} entries for {n} images.")
    for i, (names, shape) in enumerate(zip(per_image, shapes)):
        if len(names) != shape[0]:
            raise ValueError(
                f"Image {i} has {shape[0]} band(s) but {len(names)} band name(s) {names}."
            )
        if len(set(names)) != len(names):
            raise ValueError(f"Band names must be unique; image {i} has {names}.")
    return per_image


def as_image_batch(X, *, input_name="X"):
    """Return ``X`` as an :class:`ImageBatch`, and how it came.

    Parameters
    ----------
    X : ImageBatch, array-like of shape (n_images, n_bands, height, width) or \
(n_samples, n_features)
        A 4-D array is taken as images (channels first); a 2-D array -- what
        scikit-learn's estimator checks and plain tabular data give -- as one
        single-band image of height 1 and width ``n_features`` per row.
    input_name : str, default="X"
        Name used in error messages.

    Returns
    -------
    batch : ImageBatch
    kind : {'batch', '4d', '2d'}
        What ``X`` was (callers return the same kind).

    Raises
    ------
    TypeError
        If ``X`` is file paths (read them with ImageReader first), or an
        array of another number of dimensions.
    """
    if isinstance(X, ImageBatch):
        return X, "batch"
    if isinstance(X, (str, bytes)) or (
        isinstance(X, (list, tuple)) and X and isinstance(X[0], (str, bytes))
    ) or (hasattr(X, "dtype") and X.dtype.kind in "USO"):
        raise TypeError(
            f"{input_name} looks like file paths or text; read them first with "
            "spectra_sklearn.images.ImageReader (as the first Pipeline step) or "
            "spectra_sklearn.images.read_images."
        )
    array = np.asarray(X)
    if array.ndim == 4:
        return ImageBatch.from_arrays(array), "4d"
    if array.ndim == 2:
        return ImageBatch.from_arrays(array[:, None, None, :]), "2d"
    raise TypeError(
        f"{input_name} must be an ImageBatch, a 4-D array of shape (n_images, n_bands, "
        "height, width) or a 2-D array (one 1 x n_features image per row); got "
        f"{type(X).__name__} with {array.ndim} dimension(s)"
        + (". A 3-D stack of single-band images (n, height, width) needs X[:, None]."
           if array.ndim == 3 else ".")
    )
