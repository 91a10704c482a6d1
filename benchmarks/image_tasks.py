"""The image task of ``bench_accuracy.py``: Galaxy Zoo 1 morphology (issue 14).

``galaxy-zoo1``: the 5,331 SDSS gri colour cutouts (423 × 423) of the data
home's ``galaxy_zoo1/`` with their Galaxy Zoo 1 class (Lintott et al. 2008,
2011): elliptical, clockwise (CW) spiral, anticlockwise (ACW) spiral,
edge-on, don't know, merger. Each image is decoded once, centre-cropped to
``--image-crop`` pixels and area-averaged (Pillow's box filter) to
``--image-size``; the uint8 result is cached in the system's temporary
folder, so folds, seeds and later runs do not decode JPEGs again. The model
is :class:`~spectra_sklearn.nn.ImageCNNClassifier` (compact architecture, lr 2e-3,
random 90° rotations and mirrors with the CW/ACW labels swapped for mirrored
images, test-time averaging over the 8 orientations, class weights the
square root of scikit-learn's ``'balanced'`` ones computed on each training
fold). 5-fold :class:`~sklearn.model_selection.StratifiedKFold` (shuffled,
``--cv-seed``); every (seed, fold) fit runs in its own process
(``--n-jobs``, one torch thread each) and prints its scores when done.

Scores, on each seed's out-of-fold predictions: 6-class accuracy and
macro-F1, 3-class (elliptical / spiral = CW + ACW + edge-on / other = don't
know + merger, the 6-class predictions merged) accuracy and macro-F1, the F1
of each class; mean ± std over the seeds. Also the CPU and wall time of one
fold's fit.
"""

import csv
import os
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["IMAGE_TASKS", "load_galaxy_zoo1", "run_image_task"]

IMAGE_TASKS = ("galaxy-zoo1", "galaxy-zoo1-3class")

# CLASS column of smallCSV_class.csv (labels/README.txt)
CLASS_NAMES = ("elliptical", "CW spiral", "ACW spiral", "edge-on", "don't know", "merger")
THREE_CLASS = {"elliptical": "elliptical", "CW spiral": "spiral", "ACW spiral": "spiral",
               "edge-on": "spiral", "don't know": "other", "merger": "other"}

TARGETS = {
    "accuracy (6)": "-",
    "macro-F1 (6)": ">= 0.55",
    "accuracy (3)": ">= 0.90",
    "macro-F1 (3)": ">= 0.75",
}
# the seed-style baseline of the issue: small 4-block CNN, 64x64, 15 epochs
BASELINE = {"accuracy (6)": "0.823", "macro-F1 (6)": "0.445-0.486",
            "accuracy (3)": "0.869", "macro-F1 (3)": "0.624-0.677"}


def _decode(path, crop, size):
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        width, height = image.size
        left, top = (width - crop) // 2, (height - crop) // 2
        image = image.crop((left, top, left + crop, top + crop))
        image = image.resize((size, size), Image.Resampling.BOX)
        return np.asarray(image).transpose(2, 0, 1)


def load_galaxy_zoo1(home, *, crop=144, size=48, cache_dir=None):
    """``(pixels uint8 (n, 3, size, size), labels, object ids)`` of the data home's set.

    The decoded, cropped and resized images are cached in ``cache_dir``
    (default: the temporary folder) under a name with the crop, the size and
    the number of images.
    """
    root = Path(home) / "galaxy_zoo1"
    labels = {}
    with open(root / "labels" / "smallCSV_class.csv", newline="") as f:
        for row in csv.DictReader(f):
            labels[row["OBJID"]] = CLASS_NAMES[int(row["CLASS"])]
    files = sorted(p for p in (root / "images").iterdir() if p.suffix == ".jpeg")
    ids = [p.stem for p in files if p.stem in labels]
    y = np.array([labels[i] for i in ids], dtype=object)
    cache = Path(cache_dir or tempfile.gettempdir()) / (
        f"spectra_sklearn_galaxy_zoo1_{crop}_{size}_{len(ids)}.npz")
    if cache.exists():
        with np.load(cache) as stored:
            if list(stored["ids"]) == ids:
                return stored["pixels"], y, np.array(ids)
    start = time.perf_counter()
    pixels = np.stack([_decode(root / "images" / f"{i}.jpeg", crop, size) for i in ids])
    tmp = cache.with_name(cache.name + f".{os.getpid()}.tmp.npz")
    np.savez(tmp, pixels=pixels, ids=np.array(ids))
    os.replace(tmp, cache)
    print(f"galaxy-zoo1: decoded {len(ids)} JPEGs (crop {crop}, {size} x {size}) in "
          f"{time.perf_counter() - start:.0f} s; cached in {cache}", flush=True)
    return pixels, y, np.array(ids)


def sqrt_balanced_weights(y):
    """``{class: sqrt(n / (n_classes * n_class))}``: half-way (in log) to 'balanced'."""
    classes, counts = np.unique(y, return_counts=True)
    return {c: float(np.sqrt(len(y) / (len(classes) * n))) for c, n in zip(classes, counts)}


def make_image_model(*, max_epochs, random_state, params=None):
    from spectra_sklearn.nn import ImageCNNClassifier

    return ImageCNNClassifier(**{
        "architecture": "compact", "n_filters": 16, "max_epochs": max_epochs, "lr": 2e-3,
        "flip_swap_classes": [("CW spiral", "ACW spiral")], "tta": True,
        "random_state": random_state, "n_threads": 1, **(params or {})})


def _fit_fold(pixels, y, train, test, *, seed, fold, max_epochs, params):
    """Fit one (seed, fold); return its test predictions and times."""
    import torch

    torch.set_num_threads(1)
    model = make_image_model(max_epochs=max_epochs, random_state=seed, params=params)
    if "class_weight" not in (params or {}):
        model.set_params(class_weight=sqrt_balanced_weights(y[train]))
    X_train = pixels[train].astype(np.float32) / 255.0
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(X_train, y[train])
    fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
    y_pred = model.predict(pixels[test].astype(np.float32) / 255.0)
    return seed, fold, test, y_pred, fit_wall, fit_cpu


def image_scores(y, y_pred):
    """{metric: value} of one set of predictions (6 classes and merged to 3).

    Predictions of a model trained on the 3 merged classes (``galaxy-zoo1-3class``)
    get the 3-class scores only.
    """
    from sklearn.metrics import accuracy_score, f1_score

    y, y_pred = np.asarray(y, dtype=str), np.asarray(y_pred, dtype=str)
    if set(y) <= set(THREE_CLASS.values()):
        labels = sorted(set(THREE_CLASS.values()))
        scores = {"accuracy (3)": accuracy_score(y, y_pred),
                  "macro-F1 (3)": f1_score(y, y_pred, average="macro", zero_division=0)}
        per_class = f1_score(y, y_pred, average=None, labels=labels, zero_division=0)
        scores.update({f"F1 {name}": value for name, value in zip(labels, per_class)})
        return scores
    y3 = np.array([THREE_CLASS[c] for c in y])
    p3 = np.array([THREE_CLASS[c] for c in y_pred])
    scores = {
        "accuracy (6)": accuracy_score(y, y_pred),
        "macro-F1 (6)": f1_score(y, y_pred, average="macro", labels=list(CLASS_NAMES),
                                 zero_division=0),
        "accuracy (3)": accuracy_score(y3, p3),
        "macro-F1 (3)": f1_score(y3, p3, average="macro", zero_division=0),
    }
    per_class = f1_score(y, y_pred, average=None, labels=list(CLASS_NAMES),
                         zero_division=0)
    for name, value in zip(CLASS_NAMES, per_class):
        scores[f"F1 {name}"] = value
    return scores


def run_image_task(task, home, *, seeds, max_epochs, n_splits, cv_seed, params=None,
                   n_jobs=2, crop=144, size=48, save_predictions=None):
    """Cross-validate the image CNN with every seed; return table rows."""
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    if task not in IMAGE_TASKS:
        raise ValueError(f"unknown image task {task!r}; choose from {IMAGE_TASKS}")
    start = time.perf_counter()
    pixels, y, _ = load_galaxy_zoo1(home, crop=crop, size=size)
    if task == "galaxy-zoo1-3class":  # trained on the merged classes; mirrors keep labels
        y = np.array([THREE_CLASS[c] for c in y], dtype=object)
        params = {"flip_swap_classes": None, **(params or {})}
    classes, counts = np.unique(y, return_counts=True)
    print(f"{task}: {len(y)} images {pixels.shape[1:]}; " + ", ".join(
        f"{c} {n}" for c, n in zip(classes, counts)), flush=True)
    majority = counts.max() / counts.sum()
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=cv_seed)
    splits = list(cv.split(np.zeros(len(y)), y))
    jobs = [(seed, k, train, test) for seed in seeds for k, (train, test) in enumerate(splits)]
    y_pred = {seed: np.empty(len(y), dtype=object) for seed in seeds}
    fit_times = []
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_fit_fold)(pixels, y, train, test, seed=seed, fold=k,
                           max_epochs=max_epochs, params=params)
        for seed, k, train, test in jobs)
    for seed, k, test, pred, fit_wall, fit_cpu in results:
        y_pred[seed][test] = pred
        fit_times.append((fit_wall, fit_cpu))
        fold_scores = image_scores(y[test], pred)
        print(f"{task} seed {seed} fold {k + 1}/{n_splits}: " + ", ".join(
            f"{m} {v:.3f}" for m, v in fold_scores.items() if not m.startswith("F1 "))
            + f"; fit {fit_wall:.0f} s wall, {fit_cpu:.0f} s CPU", flush=True)
    seconds = time.perf_counter() - start
    per_seed = {}
    for seed in seeds:
        if save_predictions:
            np.savez(f"{save_predictions}{task}-seed{seed}.npz", y=y.astype(str),
                     y_pred=y_pred[seed].astype(str))
        for metric, value in image_scores(y, y_pred[seed]).items():
            per_seed.setdefault(metric, []).append(value)
    rows = []
    for metric, values in per_seed.items():
        rows.append([task, metric, float(np.mean(values)), float(np.std(values)),
                     len(values), BASELINE.get(metric, "-"), TARGETS.get(metric, "-"),
                     seconds])
    rows.append([task, "majority class", float(majority), 0.0, 1, "0.705", "-", 0.0])
    wall = np.array(fit_times)
    rows.append([task, "fit seconds / fold (wall)", float(wall[:, 0].mean()),
                 float(wall[:, 0].std()), len(wall), "-", "-", seconds])
    rows.append([task, "fit seconds / fold (CPU)", float(wall[:, 1].mean()),
                 float(wall[:, 1].std()), len(wall), "-", "-", seconds])
    return rows
