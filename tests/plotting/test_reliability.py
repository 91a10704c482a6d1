"""plot_reliability_diagram: scikit-learn's CalibrationDisplay on the top label, with the ECE."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.calibration import CalibrationDisplay  # noqa: E402

from spectra_sklearn.calibration import expected_calibration_error  # noqa: E402
from spectra_sklearn.plotting import plot_reliability_diagram  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_points_are_accuracy_and_confidence_per_bin():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.5, 1.0, 4000)
    y_true = np.where(rng.uniform(size=p.size) < p, "a", "b")  # calibrated "a" predictions
    proba = np.column_stack([p, 1 - p])
    fig, ax = plt.subplots()
    display = plot_reliability_diagram(y_true, proba, labels=["a", "b"], n_bins=10, ax=ax,
                                       name="calibrated")
    assert isinstance(display, CalibrationDisplay) and display.ax_ is ax
    np.testing.assert_allclose(display.prob_true, display.prob_pred, atol=0.05)
    assert display.ece == expected_calibration_error(y_true, proba, n_bins=10)
    assert display.line_.get_label() == f"calibrated (ECE {display.ece:.3f})"
    assert ax.get_xlabel().startswith("confidence") and ax.get_ylabel() == "accuracy"


def test_overconfidence_lies_below_the_diagonal():
    y_true = np.array(["a", "b"] * 50)
    proba = np.tile([0.95, 0.05], (100, 1))  # always "a", 95 % sure, right half the time
    display = plot_reliability_diagram(y_true, proba, n_bins=5)
    assert display.prob_true[-1] == pytest.approx(0.5)
    assert display.prob_pred[-1] == pytest.approx(0.95)
    assert display.ece == pytest.approx(0.45)


def test_bad_probabilities_are_refused():
    with pytest.raises(ValueError, match="2-D"):
        plot_reliability_diagram([0, 1], [0.3, 0.6])
