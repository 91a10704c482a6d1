"""Plots for image classification: a grid of predicted images, the class balance.

Display objects in scikit-learn's style
(:class:`~sklearn.metrics.ConfusionMatrixDisplay`): a class method computes
what to show and calls :meth:`plot`, which draws and keeps the matplotlib
artists as attributes ending in ``_``. The confusion matrix of an image
classifier is :func:`~spectra_sklearn.plotting.plot_confusion_matrix`.
"""

import numpy as np

from ._common import get_axes

__all__ = ["ClassBalanceDisplay", "ImageGridDisplay", "display_rgb"]

_WRONG, _RIGHT = "tab:red", "black"


def display_rgb(image, bands=None):
    """An image ``(n_bands, height, width)`` as what ``imshow`` shows, in ``[0, 1]``.

    Three bands (or the three picked by ``bands``) become an RGB array
    ``(height, width, 3)``, one band a 2-D array (shown in grey). Values
    already in ``[0, 1]`` (JPEG/PNG read by :mod:`spectra_sklearn.images`)
    are kept; others (standardised or raw FITS values) are scaled between
    the 0.5 and 99.5 percentiles of the image. NaN pixels become 0.

    Parameters
    ----------
    image : array-like of shape (n_bands, height, width)
    bands : sequence of int or None, default=None
        Positions of the bands shown as red, green and blue (or one band);
        ``None``: all three of a 3-band image, else the first band.

    Returns
    -------
    ndarray of shape (height, width, 3) or (height, width)
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 3:
        raise ValueError(f"An image must have shape (n_bands, height, width); got {image.shape}.")
    if bands is None:
        bands = [0, 1, 2] if image.shape[0] == 3 else [0]
    picked = image[list(bands)]
    finite = np.isfinite(picked)
    if finite.any() and not (picked[finite].min() >= 0 and picked[finite].max() <= 1):
        lo, hi = np.percentile(picked[finite], [0.5, 99.5])
        picked = np.clip((picked - lo) / (hi - lo), 0, 1) if hi > lo else np.zeros_like(picked)
    picked = np.where(np.isfinite(picked), picked, 0.0)
    return np.moveaxis(picked, 0, -1) if picked.shape[0] == 3 else picked[0]


def _as_images(images):
    """``(list of (n_bands, h, w) arrays, list of meta dicts)`` of an ImageBatch or array."""
    from ..images import ImageBatch

    if isinstance(images, ImageBatch):
        return images.images, images.meta
    array = np.asarray(images)
    if array.ndim == 3:  # (n, h, w): one band each
        array = array[:, None]
    if array.ndim != 4:
        raise ValueError(
            "images must be an ImageBatch or an array of shape (n_images, n_bands, height, "
            f"width); got shape {array.shape}."
        )
    return list(array), [{} for _ in range(len(array))]


class ImageGridDisplay:
    """A grid of images with their predicted and true classes; mistakes marked.

    Each panel is titled with the predicted class (and its probability when
    given) above the true class; a wrong prediction has a red title and a
    red frame. Create it with :meth:`from_predictions` or
    :meth:`from_estimator`.

    Parameters
    ----------
    images : ImageBatch or ndarray of shape (n_images, n_bands, height, width)
        The images shown, in order.
    y_true, y_pred : array-like of shape (n_images,)
        True and predicted classes.
    probability : array-like of shape (n_images,) or None, default=None
        Probability of each predicted class.
    display_labels : dict or None, default=None
        Names shown for class values, e.g. ``{0: 'elliptical'}``; others are
        shown as they are.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
    axes_ : ndarray of matplotlib.axes.Axes of shape (n_rows, n_cols)
    images_ : list of matplotlib.image.AxesImage
        One per image shown.
    mistakes_ : ndarray of bool of shape (n_images,)
        Which panels are wrong predictions.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from spectra_sklearn.plotting import ImageGridDisplay
    >>> images = np.random.default_rng(0).random((4, 3, 8, 8))
    >>> display = ImageGridDisplay.from_predictions(
    ...     images, ["E", "S", "S", "E"], ["E", "S", "E", "E"], [0.9, 0.8, 0.6, 0.7])
    >>> display.mistakes_.tolist(), len(display.images_)
    ([False, False, True, False], 4)
    >>> display.axes_[0, 2].get_title()
    'pred E (0.60)\\ntrue S'
    >>> plt.close("all")
    """

    def __init__(self, images, y_true, y_pred, probability=None, *, display_labels=None):
        self.images = images
        self.y_true = np.asarray(y_true)
        self.y_pred = np.asarray(y_pred)
        self.probability = None if probability is None else np.asarray(probability, dtype=float)
        self.display_labels = display_labels

    def _name(self, value):
        labels = self.display_labels or {}
        key = value.item() if isinstance(value, np.generic) else value
        return str(labels.get(key, key))

    def plot(self, *, n_cols=4, bands=None, panel_size=2.0, fig=None):
        """Draw the grid.

        Parameters
        ----------
        n_cols : int, default=4
            Panels per row.
        bands : sequence of int or None, default=None
            Bands shown as RGB (see :func:`display_rgb`).
        panel_size : float, default=2.0
            Size of one panel in inches (new figure only).
        fig : matplotlib.figure.Figure or None, default=None
            Figure to draw on (cleared); a new one when ``None``.

        Returns
        -------
        self : ImageGridDisplay
        """
        import matplotlib.pyplot as plt

        pixels, meta = _as_images(self.images)
        n = len(pixels)
        if not len(self.y_true) == len(self.y_pred) == n or (
                self.probability is not None and len(self.probability) != n):
            raise ValueError(
                f"ImageGridDisplay needs one y_true, y_pred (and probability) per image; got "
                f"{n} images, {len(self.y_true)} y_true, {len(self.y_pred)} y_pred.")
        n_cols = max(1, min(n_cols, n))
        n_rows = max(1, -(-n // n_cols))
        if fig is None:
            fig = plt.figure(figsize=(panel_size * n_cols, panel_size * 1.25 * n_rows),
                             layout="constrained")
        else:
            fig.clear()
        axes = np.atleast_2d(fig.subplots(n_rows, n_cols, squeeze=False))
        self.mistakes_ = self.y_true != self.y_pred
        self.images_ = []
        for k, ax in enumerate(axes.ravel()):
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= n:
                ax.set_axis_off()
                continue
            shown = display_rgb(pixels[k], bands)
            origin = meta[k].get("origin", "upper")
            self.images_.append(ax.imshow(shown, cmap=None if shown.ndim == 3 else "gray",
                                          vmin=0, vmax=1, origin=origin))
            p = "" if self.probability is None else f" ({self.probability[k]:.2f})"
            wrong = bool(self.mistakes_[k])
            ax.set_title(f"pred {self._name(self.y_pred[k])}{p}\ntrue {self._name(self.y_true[k])}",
                         color=_WRONG if wrong else _RIGHT, fontsize="small")
            for spine in ax.spines.values():
                spine.set_visible(wrong)
                spine.set_color(_WRONG)
                spine.set_linewidth(3)
        self.figure_, self.axes_ = fig, axes
        return self

    @classmethod
    def from_predictions(cls, images, y_true, y_pred, proba=None, *, labels=None,
                         display_labels=None, max_images=16, order="given", n_cols=4,
                         bands=None, fig=None):
        """Plot images with their predictions.

        Parameters
        ----------
        images : ImageBatch or ndarray of shape (n_images, n_bands, height, width)
        y_true, y_pred : array-like of shape (n_images,)
        proba : array-like of shape (n_images,) or (n_images, n_classes), default=None
            Probability of the predicted class, or the probabilities of every
            class in the order of ``labels`` (``predict_proba``).
        labels : array-like of shape (n_classes,), default=None
            Class order of the columns of a 2-D ``proba`` (an estimator's
            ``classes_``); default the sorted classes of ``y_true`` and
            ``y_pred``.
        display_labels : dict or sequence of str, default=None
            Names of the classes: a dict, or one name per entry of
            ``labels`` (``target_names`` when classes are codes 0 .. k-1).
        max_images : int, default=16
            Most panels.
        order : {'given', 'mistakes_first', 'least_confident'}, default='given'
            Which images fill the panels: the first ones, the wrong
            predictions first, or the lowest predicted probability first.
        n_cols, bands, fig
            As in :meth:`plot`.

        Returns
        -------
        ImageGridDisplay

        Raises
        ------
        ValueError
            If the lengths differ, ``proba``'s columns do not match
            ``labels``, or ``order`` is unknown.
        """
        pixels, meta = _as_images(images)
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if labels is None:
            labels = np.unique(np.concatenate([y_true, y_pred]))
        labels = np.asarray(labels)
        probability = None
        if proba is not None:
            proba = np.asarray(proba, dtype=float)
            if proba.ndim == 2:
                if proba.shape[1] != len(labels):
                    raise ValueError(
                        f"proba has {proba.shape[1]} columns but there are {len(labels)} "
                        "labels; pass labels= (the estimator's classes_).")
                column = {v.item() if isinstance(v, np.generic) else v: i
                          for i, v in enumerate(labels)}
                probability = proba[np.arange(len(proba)),
                                    [column[v.item() if isinstance(v, np.generic) else v]
                                     for v in y_pred]]
            else:
                probability = proba
        if display_labels is not None and not isinstance(display_labels, dict):
            display_labels = {(v.item() if isinstance(v, np.generic) else v): str(name)
                              for v, name in zip(labels, display_labels)}
        wrong = y_true != y_pred
        if order == "given":
            chosen = np.arange(len(pixels))
        elif order == "mistakes_first":
            chosen = np.argsort(~wrong, kind="stable")
        elif order == "least_confident":
            if probability is None:
                raise ValueError("order='least_confident' needs proba.")
            chosen = np.argsort(probability, kind="stable")
        else:
            raise ValueError(
                "order must be 'given', 'mistakes_first' or 'least_confident'; got "
                f"{order!r}.")
        chosen = chosen[:max_images]
        from ..images import ImageBatch

        shown = ImageBatch([pixels[i] for i in chosen], meta=[meta[i] for i in chosen])
        display = cls(shown, y_true[chosen], y_pred[chosen],
                      None if probability is None else probability[chosen],
                      display_labels=display_labels)
        return display.plot(n_cols=n_cols, bands=bands, fig=fig)

    @classmethod
    def from_estimator(cls, estimator, X, y, **kwargs):
        """Predict ``X`` with a fitted classifier (or Pipeline) and plot the grid.

        Parameters
        ----------
        estimator : fitted classifier
            Its ``predict`` (and ``predict_proba`` when it has one) take ``X``.
        X : sequence of paths, ImageBatch or ndarray of shape (n_images, n_bands, height, width)
            Paths are read with :class:`~spectra_sklearn.images.ImageReader`
            for display.
        y : array-like of shape (n_images,)
            True classes.
        **kwargs
            Passed to :meth:`from_predictions`.

        Returns
        -------
        ImageGridDisplay
        """
        from ..images import ImageBatch, ImageReader

        y_pred = estimator.predict(X)
        proba = estimator.predict_proba(X) if hasattr(estimator, "predict_proba") else None
        kwargs.setdefault("labels", getattr(estimator, "classes_", None))
        images = X
        if not isinstance(X, ImageBatch) and np.ndim(X) < 4:
            images = ImageReader().transform(X)
        return cls.from_predictions(images, y, y_pred, proba, **kwargs)


class ClassBalanceDisplay:
    """Bar chart of the number of examples of each class (the class imbalance).

    Parameters
    ----------
    counts : array-like of int of shape (n_classes,)
    display_labels : sequence of str of shape (n_classes,)

    Attributes
    ----------
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure
    bars_ : matplotlib.container.BarContainer
    texts_ : list of matplotlib.text.Text
        The count (and percentage) written on each bar.
    imbalance_ratio_ : float
        Largest over smallest non-zero class count.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from spectra_sklearn.plotting import ClassBalanceDisplay
    >>> display = ClassBalanceDisplay.from_labels(["E", "E", "E", "S", "M"])
    >>> display.counts.tolist(), display.imbalance_ratio_
    ([3, 1, 1], 3.0)
    >>> [t.get_text() for t in display.texts_]
    ['3 (60.0 %)', '1 (20.0 %)', '1 (20.0 %)']
    >>> plt.close("all")
    """

    def __init__(self, counts, display_labels):
        self.counts = np.asarray(counts, dtype=np.int64)
        self.display_labels = [str(x) for x in display_labels]

    def plot(self, *, normalize=False, color="tab:blue", ax=None):
        """Draw the bars.

        Parameters
        ----------
        normalize : bool, default=False
            Bar heights as fractions of all examples instead of counts.
        color : matplotlib colour, default='tab:blue'
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw on; a new figure when ``None``.

        Returns
        -------
        self : ClassBalanceDisplay
        """
        ax = get_axes(ax)
        total = self.counts.sum()
        fractions = self.counts / total if total else np.zeros(len(self.counts))
        heights = fractions if normalize else self.counts
        positions = np.arange(len(self.counts))
        self.bars_ = ax.bar(positions, heights, color=color)
        ax.set_xticks(positions, self.display_labels, rotation=30, ha="right")
        ax.set_ylabel("fraction of examples" if normalize else "examples")
        self.texts_ = [ax.annotate(f"{c} ({100 * f:.1f} %)", (x, h), ha="center", va="bottom",
                                   fontsize="small", xytext=(0, 2), textcoords="offset points")
                       for x, h, c, f in zip(positions, heights, self.counts, fractions)]
        nonzero = self.counts[self.counts > 0]
        self.imbalance_ratio_ = float(nonzero.max() / nonzero.min()) if nonzero.size else np.nan
        ax.set_title(f"{total} examples, imbalance ratio {self.imbalance_ratio_:.3g}:1")
        ax.margins(y=0.12)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_labels(cls, y, *, labels=None, display_labels=None, sort=False, normalize=False,
                    color="tab:blue", ax=None):
        """Count the classes of ``y`` and plot them.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Class labels.
        labels : array-like, default=None
            Classes to show, in order (absent ones get a zero bar); default
            the sorted classes of ``y``.
        display_labels : sequence of str or dict, default=None
            Names shown under the bars (one per class of ``labels``, or a
            mapping such as ``dict(enumerate(target_names))``).
        sort : bool, default=False
            Order the bars from the most to the least frequent class.
        normalize, color, ax
            As in :meth:`plot`.

        Returns
        -------
        ClassBalanceDisplay
        """
        y = np.asarray(y)
        labels = np.unique(y) if labels is None else np.asarray(labels)
        counts = np.array([np.sum(y == v) for v in labels], dtype=np.int64)
        if isinstance(display_labels, dict):
            names = [str(display_labels.get(v.item() if isinstance(v, np.generic) else v, v))
                     for v in labels]
        elif display_labels is not None:
            names = [str(x) for x in display_labels]
            if len(names) != len(labels):
                raise ValueError(
                    f"display_labels has {len(names)} names for {len(labels)} classes.")
        else:
            names = [str(v) for v in labels]
        if sort:
            order = np.argsort(-counts, kind="stable")
            counts, names = counts[order], [names[i] for i in order]
        return cls(counts, names).plot(normalize=normalize, color=color, ax=ax)
