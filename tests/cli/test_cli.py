"""The ``spectra-sklearn`` command: demo and evaluate, end to end."""

import csv
import shutil
import subprocess
import sys

import numpy as np
import pytest

from spectra_sklearn.cli import main


def _read_predictions(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _check_outputs(output_dir, n_expected):
    rows = _read_predictions(output_dir / "predictions.csv")
    assert len(rows) == n_expected
    folds = {}
    for row in rows:
        folds.setdefault(row["fold"], set()).add(row["group"])
    # group-aware: no object in two folds (and so never in train and test at once)
    all_groups = [g for gs in folds.values() for g in gs]
    assert len(all_groups) == len(set(all_groups))
    png = (output_dir / "confusion_matrix.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return rows


def test_demo_runs_and_writes_outputs(tmp_path, capsys):
    status = main(["demo", "--output-dir", str(tmp_path), "--n-splits", "3",
                   "--max-epochs", "10"])
    out = capsys.readouterr().out
    assert status == 0
    assert "accuracy:" in out and "fold 3/3" in out
    rows = _check_outputs(tmp_path, n_expected=int(out.split(" spectra")[0].split()[-1]))
    accuracy = np.mean([r["true"] == r["predicted"] for r in rows])
    assert accuracy > 0.8


def test_evaluate_smass2_with_svc(shared_data, tmp_path, capsys):
    status = main(["evaluate", "smass2", "--data-home", str(shared_data), "--model", "svc",
                   "--output-dir", str(tmp_path), "--no-download"])
    out = capsys.readouterr().out
    assert status == 0, out
    rows = _check_outputs(tmp_path, n_expected=1341)
    assert {r["true"] for r in rows} == {"C", "S", "X", "Other"}
    assert "accuracy:" in out


def test_evaluate_reports_missing_data_home(tmp_path, capsys):
    status = main(["evaluate", "smass2", "--data-home", str(tmp_path / "nowhere"),
                   "--no-download", "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1
    assert "spectra-sklearn: error:" in err and "nowhere" in err
    assert not (tmp_path / "out").exists()


def test_console_script_is_installed():
    exe = shutil.which("spectra-sklearn")
    if exe is None:
        pytest.fail("the spectra-sklearn console script is not on PATH; reinstall the package")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    assert "demo" in result.stdout and "evaluate" in result.stdout


def test_module_entry_point_version():
    result = subprocess.run([sys.executable, "-m", "spectra_sklearn.cli", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("spectra-sklearn ")


def test_existing_outputs_are_not_overwritten_without_force(shared_data, tmp_path, capsys):
    mine = tmp_path / "predictions.csv"
    mine.write_text("the user's own file\n")
    args = ["evaluate", "smass2", "--data-home", str(shared_data), "--model", "svc",
            "--output-dir", str(tmp_path), "--no-download"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "predictions.csv" in err and "--force" in err
    assert mine.read_text() == "the user's own file\n"
    assert not (tmp_path / "confusion_matrix.png").exists()
    assert main(args + ["--force"]) == 0
    assert len(_read_predictions(mine)) == 1341


def test_evaluate_spex_letter_class_with_svc(shared_data, tmp_path, capsys):
    status = main(["evaluate", "spex", "--data-home", str(shared_data), "--model", "svc",
                   "--output-dir", str(tmp_path), "--no-download"])
    out = capsys.readouterr().out
    assert status == 0, out
    rows = _check_outputs(tmp_path, n_expected=int(out.split(" spectra")[0].split()[-1]))
    assert {r["true"] for r in rows} == {"M", "L", "T"}
    # the seed's random forest / 5-NN reach 0.959 on this task
    assert np.mean([r["true"] == r["predicted"] for r in rows]) > 0.93


def _sample_table(tmp_path, n_per_class=8):
    """A path,label,group CSV over part of the embedded SpeX sample."""
    from spectra_sklearn.datasets import load_spex_sample

    bunch = load_spex_sample()
    y = np.asarray(bunch.target_class)
    rows = []
    for letter in ("M", "L", "T"):
        for i in np.flatnonzero(y == letter)[:n_per_class]:
            rows.append((bunch.filenames[i], letter, bunch.groups[i]))
    table = tmp_path / "train.csv"
    with open(table, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "group"])
        writer.writerows(rows)
    return table, rows, bunch


def test_fit_then_predict_files(tmp_path, capsys):
    model = tmp_path / "model.joblib"
    assert main(["fit", "spex-sample", "--model", "svc", "--model-file", str(model)]) == 0
    assert model.exists()
    _, rows, bunch = _sample_table(tmp_path, n_per_class=5)
    listing = tmp_path / "files.txt"
    listing.write_text("# spectra to classify\n" + "\n".join(r[0] for r in rows) + "\n")
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model), "--files-from", str(listing),
                 "--output", str(out)]) == 0
    predictions = _read_predictions(out)
    assert [p["name"] for p in predictions] == [r[0] for r in rows]
    # trained on these very spectra: the SVC must get nearly all of them right
    assert np.mean([p["predicted"] == r[1] for p, r in zip(predictions, rows)]) > 0.9
    # neither the model nor the predictions are overwritten without --force
    before = model.read_bytes()
    assert main(["fit", "spex-sample", "--model", "svc", "--model-file", str(model)]) == 1
    assert model.read_bytes() == before
    out.write_text("mine\n")
    assert main(["predict", str(model), rows[0][0], "--output", str(out)]) == 1
    assert out.read_text() == "mine\n"
    assert "--force" in capsys.readouterr().err
    assert main(["predict", str(model), rows[0][0], "--output", str(out), "--force"]) == 0
    assert len(_read_predictions(out)) == 1


def test_fit_from_table_with_cnn_gives_probabilities(tmp_path):
    table, rows, _ = _sample_table(tmp_path)
    model = tmp_path / "cnn.joblib"
    assert main(["fit", "--files-from", str(table), "--preset", "spex", "--model-file",
                 str(model), "--max-epochs", "3"]) == 0
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), rows[0][0], rows[-1][0], "--output", str(out)]) == 0
    predictions = _read_predictions(out)
    assert len(predictions) == 2
    for p in predictions:
        per_class = [float(p[f"probability_{c}"]) for c in ("L", "M", "T")]
        assert np.isclose(sum(per_class), 1.0, atol=1e-5)
        assert float(p["probability"]) == max(per_class)
        assert p["predicted"] == ("L", "M", "T")[int(np.argmax(per_class))]


def test_fit_and_predict_errors_name_the_problem(tmp_path, capsys):
    bad_table = tmp_path / "t.csv"
    bad_table.write_text("file,class\nx.fits,M\n")
    assert main(["fit", "--files-from", str(bad_table), "--preset", "spex",
                 "--model-file", str(tmp_path / "m.joblib")]) == 1
    err = capsys.readouterr().err
    assert "t.csv" in err and "'path'" in err
    not_a_model = tmp_path / "m.joblib"
    not_a_model.write_bytes(b"garbage")
    assert main(["predict", str(not_a_model), "x.fits", "--output",
                 str(tmp_path / "p.csv")]) == 1
    assert "not a model file" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("dataset, classes", [
    ("demeo2009", {"C", "S", "X", "Other"}),
    ("miles", {"O", "B", "A", "F", "G", "K", "M"}),
    ("mahlke2022", None),
    ("sdss-templates", {"O", "B", "A", "F", "G", "K", "M"}),
])
def test_evaluate_more_datasets_with_svc(shared_data, tmp_path, capsys, dataset, classes):
    status = main(["evaluate", dataset, "--data-home", str(shared_data), "--model", "svc",
                   "--output-dir", str(tmp_path), "--no-download", "--n-splits", "3"])
    out = capsys.readouterr().out
    assert status == 0, out
    n = int(out.split(" spectra")[0].split()[-1])
    rows = _check_outputs(tmp_path, n_expected=n)
    truth = {r["true"] for r in rows}
    if classes is not None:
        assert truth == classes
    accuracy = np.mean([r["true"] == r["predicted"] for r in rows])
    # far above always predicting the most common class
    majority = max(np.mean([r["true"] == c for r in rows]) for c in truth)
    assert accuracy > majority + 0.2


def test_evaluate_spitzer_irs_offline_names_the_missing_spectrum(shared_data, tmp_path, capsys):
    # the project's data home has the CAST label tables but none of their
    # spectra: offline, evaluate stops before any work and says which file
    # is missing and how to get it
    status = main(["evaluate", "spitzer-irs", "--data-home", str(shared_data), "--no-download",
                   "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1
    assert "cassis_yaaar_spcfw_" in err and "download_if_missing=True" in err
    assert not (tmp_path / "out").exists()


def test_spitzer_irs_preset_classifies_real_cassis_files(shared_data):
    # the preset's reader, CASSIS grid and scaling on the real low-resolution
    # files (full SL+LL, SL only, LL only); their labels are not known, so
    # the classes here are arbitrary: the test is the plumbing, not accuracy
    from spectra_sklearn.cli._datasets import DATASETS

    files = sorted(str(p) for p in (shared_data / "cassis_irs" / "spectra").glob(
        "cassis_yaaar_spcfw_*t.fits"))
    assert len(files) >= 6
    y = np.array(["a", "b"] * (len(files) // 2) + ["a"] * (len(files) % 2))
    pipeline = DATASETS["spitzer-irs"].make_pipeline(model="svc").fit(files, y)
    resampler = pipeline.steps[1][1]
    assert resampler.wavelength_grid_[0] == pytest.approx(5.3)
    assert resampler.wavelength_grid_[-1] == pytest.approx(37.2)
    scaled = pipeline[:-1].transform(files)
    assert np.asarray(scaled).shape == (len(files), 256)
    assert np.nanmin(scaled.flux) == pytest.approx(0)
    assert np.nanmax(scaled.flux) == pytest.approx(1)
    # full SL + LL spectra cover the whole grid; the LL-only one none of its
    # short-wavelength pixels
    full = files.index(next(f for f in files if f.endswith("14191360t.fits")))
    ll_only = files.index(next(f for f in files if f.endswith("9834496t.fits")))
    assert not scaled.mask[full].any()
    assert scaled.mask[ll_only, 0] and not scaled.mask[ll_only, -1]
    assert set(pipeline.predict(files)) <= {"a", "b"}


def test_sdss_templates_model_predicts_sdss_spectrum_files(shared_data, tmp_path, capsys):
    # trained on the templates (read by the fetcher), applied to SDSS
    # spec-*.fits files: the preset's reader reads the SDSS format
    model = tmp_path / "templates.joblib"
    assert main(["fit", "sdss-templates", "--data-home", str(shared_data), "--model", "svc",
                 "--model-file", str(model), "--no-download"]) == 0
    files = sorted(str(p) for p in (shared_data / "sdss_spectra").glob("*.fits"))
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(model), *files, "--output", str(output)]) == 0
    rows = _read_predictions(output)
    assert [r["name"] for r in rows] == files
    assert {r["predicted"] for r in rows} <= set("OBAFGKM")
