"""Image grid and class-balance displays, rendered with Agg on real Galaxy Zoo images."""

import csv

import matplotlib.colors as mcolors
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from spectra_sklearn.images import CenterCrop, ChannelStandardizer, ImageReader, ImageResizer
from spectra_sklearn.plotting import ClassBalanceDisplay, ImageGridDisplay
from spectra_sklearn.plotting._images import display_rgb


@pytest.fixture(scope="module")
def labelled(shared_data):
    folder = shared_data / "galaxy_zoo1"
    if not folder.is_dir():
        pytest.skip(f"Galaxy Zoo 1 not in the data home ({folder})")
    with open(folder / "labels" / "smallCSV_class.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    picked = [r for r in rows if r["CLASS"] == "0"][:6] + [r for r in rows if r["CLASS"] == "3"][:6]
    paths = [str(folder / "images" / f"{r['OBJID']}.jpeg") for r in picked]
    return paths, np.array([int(r["CLASS"]) for r in picked]), np.array([int(r["CLASS"])
                                                                          for r in rows])


def _flatten(batch):
    return batch.pixels.reshape(len(batch), -1)


def test_grid_from_predictions_marks_mistakes(labelled):
    paths, y, _ = labelled
    images = ImageReader().transform(paths)
    y_pred = y.copy()
    y_pred[[1, 7]] = [3, 0]
    proba = np.where(y_pred[:, None] == np.array([0, 3]), 0.8, 0.2)
    display = ImageGridDisplay.from_predictions(
        images, y, y_pred, proba, labels=[0, 3], display_labels={0: "elliptical", 3: "edge_on"},
        n_cols=4)
    assert display.axes_.shape == (3, 4) and len(display.images_) == 12
    assert display.mistakes_.tolist() == [i in (1, 7) for i in range(12)]
    ax = display.axes_[0, 1]
    assert ax.get_title() == "pred edge_on (0.80)\ntrue elliptical"
    assert mcolors.same_color(ax.title.get_color(), "tab:red")
    assert all(s.get_visible() and mcolors.same_color(s.get_edgecolor(), "tab:red")
               for s in ax.spines.values())
    good = display.axes_[0, 0]
    assert mcolors.same_color(good.title.get_color(), "black")
    assert not any(s.get_visible() for s in good.spines.values())
    shown = display.images_[0].get_array()
    assert shown.shape == (423, 423, 3)
    np.testing.assert_allclose(shown, np.moveaxis(images.pixels[0], 0, -1), atol=1e-6)
    display.figure_.canvas.draw()


def test_grid_order_and_limits(labelled):
    paths, y, _ = labelled
    images = ImageReader().transform(paths)
    y_pred = np.where(np.arange(12) % 5 == 4, 3 - y, y)  # mistakes at 4 and 9
    display = ImageGridDisplay.from_predictions(images, y, y_pred, max_images=3,
                                                order="mistakes_first", n_cols=3)
    assert display.mistakes_.tolist() == [True, True, False]
    assert display.axes_[0, 0].get_title().startswith("pred ")
    assert "(" not in display.axes_[0, 0].get_title()  # no probability given
    confidence = np.linspace(0.9, 0.4, 12)
    least = ImageGridDisplay.from_predictions(images, y, y_pred, confidence, max_images=5,
                                              order="least_confident", n_cols=3)
    assert least.axes_.shape == (2, 3) and not least.axes_[1, 2].axison
    assert least.axes_[0, 0].get_title().startswith(f"pred {y_pred[11]} (0.40)")
    with pytest.raises(ValueError, match="proba has 3 columns but there are 2 labels"):
        ImageGridDisplay.from_predictions(images, y, y_pred, np.ones((12, 3)))
    with pytest.raises(ValueError, match="order must be"):
        ImageGridDisplay.from_predictions(images, y, y_pred, order="random")


def test_grid_from_estimator_reads_paths(labelled):
    paths, y, _ = labelled
    pipe = make_pipeline(ImageReader(), CenterCrop(size=96), ImageResizer(size=8),
                         ChannelStandardizer(), FunctionTransformer(_flatten),
                         LogisticRegression(max_iter=200))
    pipe.fit(paths, y)
    display = ImageGridDisplay.from_estimator(pipe, paths, y, display_labels=["E", "edge"])
    assert len(display.images_) == 12
    expected = [f"pred {'E' if p == 0 else 'edge'}" for p in pipe.predict(paths)]
    assert [ax.get_title().split(" (")[0] for ax in display.axes_.ravel()] == expected
    np.testing.assert_array_equal(display.mistakes_, pipe.predict(paths) != y)


def test_display_rgb_scales_other_ranges_and_single_bands():
    rng = np.random.default_rng(0)
    standardised = rng.normal(0, 3, (3, 5, 5))
    shown = display_rgb(standardised)
    assert shown.shape == (5, 5, 3) and shown.min() == 0 and shown.max() == 1
    fits_like = np.full((1, 4, 4), 7.0)
    fits_like[0, 0, 0] = np.nan
    gray = display_rgb(fits_like)
    assert gray.shape == (4, 4) and gray[0, 0] == 0
    display = ImageGridDisplay.from_predictions(standardised[None, :1], [1], [1], n_cols=2)
    assert display.images_[0].get_cmap().name == "gray"


def test_class_balance_on_galaxy_zoo_labels(labelled):
    _, _, classes = labelled
    names = ["elliptical", "CW", "ACW", "edge-on", "don't know", "merger"]
    display = ClassBalanceDisplay.from_labels(classes, display_labels=names)
    counts = np.bincount(classes, minlength=6)
    assert [bar.get_height() for bar in display.bars_] == counts.tolist()
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == names
    assert display.texts_[0].get_text() == f"{counts[0]} ({100 * counts[0] / counts.sum():.1f} %)"
    assert display.imbalance_ratio_ == counts.max() / counts.min()
    assert display.ax_.get_title().startswith(f"{counts.sum()} examples")
    display.figure_.canvas.draw()
    fractions = ClassBalanceDisplay.from_labels(classes, display_labels=dict(enumerate(names)),
                                                normalize=True, sort=True)
    heights = [bar.get_height() for bar in fractions.bars_]
    assert heights == sorted(heights, reverse=True)
    np.testing.assert_allclose(sum(heights), 1.0)
    assert fractions.ax_.get_xticklabels()[0].get_text() == "elliptical"


def test_class_balance_labels_and_errors():
    display = ClassBalanceDisplay.from_labels(["a", "b", "a"], labels=["b", "a", "c"])
    assert display.counts.tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match="2 names for 3 classes"):
        ClassBalanceDisplay.from_labels(["a", "b", "c"], display_labels=["x", "y"])
