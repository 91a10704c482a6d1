"""Machinery shared by the image transformers: inputs in, the same kind out.

A step implements ``_transform_stack(stack, band_names)`` on a float32 or
float64 array (the dtype of the input: float32 for a batch; steps compute in
it and return it, so a batch is never copied to float64) of shape
``(n_images, n_bands, height, width)`` whose images share one shape and bands,
returning the new stack and band names. :class:`ImageStep`
feeds it the whole batch when the images share a shape, one image at a time
when they do not, and returns what came in:

* an :class:`~spectra_sklearn.images.ImageBatch` -> an ImageBatch (float32
  pixels, metadata carried along);
* a 4-D array ``(n_images, n_bands, height, width)`` -> a 4-D array of the
  same dtype (float32 or float64);
* a 2-D array ``(n_samples, n_features)`` -- what scikit-learn's estimator
  checks and tabular data give -> a 2-D array: each row is taken as one
  single-band image of height 1 and width ``n_features``, and the output
  image is flattened back into a row. Only 2-D arrays go through
  ``validate_data`` (``n_features_in_``, ``feature_names_in_``).
"""

import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._batch import ImageBatch, as_image_batch

__all__ = ["ImageStep", "read_image_input"]


def read_image_input(estimator, X, *, reset):
    """``(groups, kind, dtype, batch)`` for a step's ``fit``/``transform``.

    ``groups`` is a list of ``(rows, stack, band_names)``: the positions of
    the images in the batch, their pixels ``(n, n_bands, h, w)`` (float32 or
    float64, not copied) and
    their band names, one group for a batch of one shape (or an array), one
    per image otherwise.

    Raises
    ------
    ValueError
        If there is no image (arrays: sklearn's usual errors).
    TypeError
        If ``X`` is neither an ImageBatch nor a 2-D or 4-D array.
    """
    name = type(estimator).__name__
    if isinstance(X, ImageBatch):
        kind, dtype, batch = "batch", np.float32, X
        if reset:
            for attr in ("n_features_in_", "feature_names_in_"):
                if hasattr(estimator, attr):
                    delattr(estimator, attr)
    elif getattr(X, "ndim", None) == 4 and not hasattr(X, "columns"):
        array = check_array(X, allow_nd=True, dtype=[np.float64, np.float32],
                            ensure_all_finite=False, input_name="X", estimator=estimator)
        if reset:
            for attr in ("n_features_in_", "feature_names_in_"):
                if hasattr(estimator, attr):
                    delattr(estimator, attr)
        kind, dtype = "4d", array.dtype
        batch = ImageBatch.__new__(ImageBatch)
        batch._pixels, batch._images = array, None
        batch._band_names = [tuple(f"band{i}" for i in range(array.shape[1]))] * len(array)
        batch._meta = [{} for _ in range(len(array))]
    else:
        if isinstance(X, (str, bytes, os.PathLike)) or (
            isinstance(X, (list, tuple)) and X and isinstance(X[0], (str, bytes, os.PathLike))
        ):
            raise TypeError(
                f"{name} takes images; X looks like file paths. Read them first with "
                "spectra_sklearn.images.ImageReader (as the first Pipeline step)."
            )
        if isinstance(X, np.ndarray) and X.ndim == 3:
            as_image_batch(X)  # the TypeError saying how to add the band axis
        array = validate_data(estimator, X, reset=reset, dtype=[np.float64, np.float32],
                              ensure_all_finite=False)
        kind, dtype = "2d", array.dtype
        batch = ImageBatch.__new__(ImageBatch)
        batch._pixels, batch._images = array[:, None, None, :], None
        batch._band_names = [("band0",)] * len(array)
        batch._meta = [{} for _ in range(len(array))]
    if len(batch) == 0:
        raise ValueError(f"{name} needs at least one image; got an empty ImageBatch.")
    if batch.common_shape:
        groups = [(np.arange(len(batch)), batch._pixels, batch._band_names[0])]
        if len(set(batch._band_names)) > 1:
            groups = [(np.array([i]), batch._pixels[i:i + 1], batch._band_names[i])
                      for i in range(len(batch))]
    else:
        groups = [(np.array([i]), img[None], batch._band_names[i])
                  for i, img in enumerate(batch._images)]
    return groups, kind, dtype, batch


def assemble(groups_out, kind, dtype, batch):
    """The output of the same kind as the input (see the module notes)."""
    n = len(batch)
    if kind != "batch":
        stack = groups_out[0][1] if len(groups_out) == 1 else np.concatenate(
            [g[1] for g in groups_out])
        stack = stack.astype(dtype, copy=False)
        return stack.reshape(n, -1) if kind == "2d" else stack
    meta = [dict(m) for m in batch._meta]
    if len(groups_out) == 1 and np.array_equal(groups_out[0][0], np.arange(n)):
        _, stack, band_names = groups_out[0]  # one shape: no per-image regrouping
        return ImageBatch(np.asarray(stack, dtype=np.float32), band_names=band_names, meta=meta)
    images, names = [None] * n, [None] * n
    for rows, stack, band_names in groups_out:
        for k, row in enumerate(rows):
            images[row] = stack[k]
            names[row] = band_names
    return ImageBatch(images, band_names=names, meta=meta)


class ImageStep(TransformerMixin, BaseEstimator):
    """Base of the stateless image steps (private).

    Subclasses define ``_transform_stack(stack, band_names)`` and may define
    ``_check_params`` (checks across parameters, in ``fit`` and
    ``transform``).
    """

    def _check_params(self):
        """Checks across parameters; raise ValueError naming them."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters (and record ``n_features_in_`` for 2-D arrays).

        Nothing is learnt: the step is stateless and ``transform`` works
        without ``fit``.

        Parameters
        ----------
        X : ImageBatch, ndarray of shape (n_images, n_bands, height, width) or \
(n_samples, n_features)
            Images (a 2-D array: one 1 x n_features single-band image per row).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._check_params()
        read_image_input(self, X, reset=True)
        return self

    def __sklearn_is_fitted__(self):
        return True  # stateless

    def transform(self, X):
        """Apply the step to every image.

        Parameters
        ----------
        X : ImageBatch, ndarray of shape (n_images, n_bands, height, width) or \
(n_samples, n_features)
            Images.

        Returns
        -------
        X_out : ImageBatch, ndarray of shape (n_images, n_bands_out, height_out, width_out) \
or (n_samples, n_features_out)
            The same kind as ``X`` (arrays keep float32 or float64).

        Raises
        ------
        ValueError
            If the parameters are invalid or do not fit the images.
        """
        check_is_fitted(self)
        self._validate_params()
        self._check_params()
        groups, kind, dtype, batch = read_image_input(self, X, reset=False)
        out = [(rows, *self._transform_stack(stack, names)) for rows, stack, names in groups]
        return assemble(out, kind, dtype, batch)

    def _generic_feature_names(self, n_out):
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(n_out)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def image_size(size, name, owner):
    """``size`` (int or (height, width)) as a tuple of two positive ints."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size), int(size))
    if (not isinstance(size, tuple) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1
                       for s in size)):
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a positive int or a tuple "
            f"(height, width) of positive ints; got {size!r}."
        )
    return int(size[0]), int(size[1])
