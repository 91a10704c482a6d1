"""Group-aware stratified cross-validation with a progress bar, and its outputs."""

import csv
import dataclasses

import numpy as np
from sklearn.base import clone
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.utils import _safe_indexing
from tqdm.auto import tqdm

from ..utils import atomic_write

__all__ = ["OUTPUT_FILES", "CrossValidationResult", "cross_validate_grouped", "write_outputs"]

OUTPUT_FILES = ("predictions.csv", "confusion_matrix.png")


@dataclasses.dataclass
class CrossValidationResult:
    """Out-of-fold predictions and per-fold scores of one cross-validation run."""

    y_true: np.ndarray
    y_pred: np.ndarray
    fold: np.ndarray
    groups: np.ndarray
    names: list
    fold_accuracy: list
    fold_f1: list
    classes: np.ndarray

    @property
    def accuracy(self):
        """Mean and standard deviation of the per-fold accuracy."""
        return float(np.mean(self.fold_accuracy)), float(np.std(self.fold_accuracy))

    @property
    def f1_weighted(self):
        """Mean and standard deviation of the per-fold class-weighted F1."""
        return float(np.mean(self.fold_f1)), float(np.std(self.fold_f1))


def cross_validate_grouped(
    estimator, X, y, groups, *, names=None, classes=None, n_splits=5, random_state=0,
    echo=print, on_fold=None,
):
    """Fit and score ``estimator`` on stratified folds that never split a group.

    Uses :class:`sklearn.model_selection.StratifiedGroupKFold`, so no physical
    object (group) has spectra in both the training and the test fold.

    Parameters
    ----------
    estimator : estimator
        Cloned for each fold.
    X : sequence of length n_samples
        Anything the estimator takes (file paths, a SpectrumBatch, an array).
    y, groups : array-like of shape (n_samples,)
        Labels and the physical object of each sample.
    names : sequence of str, default=None
        A name per sample for ``predictions.csv`` (file or object).
    classes : sequence, default=None
        The order of the classes in reports (default: sorted).
    n_splits : int, default=5
    random_state : int, default=0
        Seeds the fold assignment.
    echo : callable, default=print
        Receives one line per fold.
    on_fold : callable, default=None
        Called as ``on_fold(model, test_indices)`` with each fold's fitted model
        (e.g. to gather what the report shows of the test spectra).

    Returns
    -------
    CrossValidationResult
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    y_pred = np.empty_like(y)
    fold_of = np.full(len(y), -1)
    accuracy, f1 = [], []
    splits = list(cv.split(np.zeros(len(y)), y, groups))
    for k, (train, test) in enumerate(tqdm(splits, desc="folds", unit="fold")):
        model = clone(estimator).fit(_safe_indexing(X, train), y[train])
        y_pred[test] = model.predict(_safe_indexing(X, test))
        fold_of[test] = k
        if on_fold is not None:
            on_fold(model, test)
        accuracy.append(accuracy_score(y[test], y_pred[test]))
        f1.append(f1_score(y[test], y_pred[test], average="weighted"))
        echo(
            f"fold {k + 1}/{n_splits}: n_train={len(train)} n_test={len(test)} "
            f"accuracy={accuracy[-1]:.3f} weighted F1={f1[-1]:.3f}"
        )
    if names is None:
        names = [str(i) for i in range(len(y))]
    return CrossValidationResult(
        y_true=y, y_pred=y_pred, fold=fold_of, groups=groups, names=list(names),
        fold_accuracy=accuracy, fold_f1=f1,
        classes=np.unique(y) if classes is None else np.asarray(classes),
    )


def write_outputs(result, output_dir, *, title):
    """Write ``predictions.csv`` and ``confusion_matrix.png`` atomically.

    Parameters
    ----------
    result : CrossValidationResult
    output_dir : pathlib.Path
        Created if missing.
    title : str
        Title of the confusion-matrix plot.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output_dir.mkdir(parents=True, exist_ok=True)
    csv_path = output_dir / OUTPUT_FILES[0]
    with atomic_write(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "group", "fold", "true", "predicted"])
        for row in zip(result.names, result.groups, result.fold, result.y_true,
                       result.y_pred):
            writer.writerow(row)
    fig, ax = plt.subplots(figsize=(5, 4.5), layout="constrained")
    ConfusionMatrixDisplay.from_predictions(
        result.y_true, result.y_pred, labels=result.classes, ax=ax, colorbar=False
    )
    mean, std = result.accuracy
    ax.set_title(f"{title}\naccuracy {mean:.3f} ± {std:.3f}")
    png_path = output_dir / OUTPUT_FILES[1]
    with atomic_write(png_path, "wb") as f:
        fig.savefig(f, format="png", dpi=120)
    plt.close(fig)
    return [csv_path, png_path]
