"""The command line on images: fit --preset galaxy-zoo1 on JPEGs, predict image files."""

import csv

import pytest

from spectra_sklearn.cli import main
from spectra_sklearn.cli._datasets import DATASETS
from spectra_sklearn.pipelines import make_galaxy_zoo1_pipeline

NAMES = ["elliptical", "clockwise_spiral", "anticlockwise_spiral", "edge_on", "dont_know",
         "merger"]


def test_galaxy_zoo1_is_a_cli_dataset_with_the_image_pipeline():
    assert "galaxy-zoo1" in DATASETS
    steps = [type(s).__name__ for _, s in make_galaxy_zoo1_pipeline().steps]
    assert steps == ["ImageReader", "CenterCrop", "ImageResizer", "ImageCNNClassifier"]
    clf = make_galaxy_zoo1_pipeline().steps[-1][1]
    assert clf.flip_swap_classes == [("clockwise_spiral", "anticlockwise_spiral")]
    with pytest.raises(ValueError, match="only model='cnn'"):
        make_galaxy_zoo1_pipeline(model="svc")


def test_fit_on_jpegs_then_predict_records_a_bad_file(shared_data, tmp_path):
    root = shared_data / "galaxy_zoo1"
    if not root.is_dir():
        pytest.skip("galaxy_zoo1 not in the data home")
    picked = {}
    with open(root / "labels" / "smallCSV_class.csv", newline="") as f:
        for row in csv.DictReader(f):
            path = root / "images" / f"{row['OBJID']}.jpeg"
            if path.exists() and len(picked.setdefault(row["CLASS"], [])) < 4:
                picked[row["CLASS"]].append(path)
    table = tmp_path / "train.csv"
    with open(table, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label"])
        for code, paths in picked.items():
            writer.writerows([p, NAMES[int(code)]] for p in paths)
    model = tmp_path / "model.joblib"
    assert main(["fit", "--files-from", str(table), "--preset", "galaxy-zoo1",
                 "--max-epochs", "1", "--model-file", str(model)]) == 0
    bad = tmp_path / "broken.jpeg"
    bad.write_bytes(b"\xff\xd8\xff not really a JPEG")
    good = [str(p) for p in picked["0"][:2]]
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model), *good, str(bad), "--output", str(out),
                 "--quiet"]) == 0
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["status"] for r in rows] == ["ok", "ok", "error"]
    assert all(r["predicted"] in NAMES for r in rows[:2])
    assert "broken.jpeg" in rows[2]["error"]
    probabilities = [float(rows[0][f"probability_{n}"]) for n in NAMES]
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
