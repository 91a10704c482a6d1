"""``spectra-sklearn predict``: chunked, resumable, parallel, failures recorded."""

import csv
import os

import pytest

from spectra_sklearn.cli import main
from spectra_sklearn.datasets import load_spex_sample


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    assert main(["fit", "spex-sample", "--model", "svc", "--model-file", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def files():
    return [str(p) for p in load_spex_sample().filenames]


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_parquet_resume_with_two_workers_as_the_issue_asks(model, files, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet output needs pyarrow")
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(files[:40]) + "\n")
    out = tmp_path / "out.parquet"
    command = ["predict", str(model), "--files-from", str(listing), "--output", str(out),
               "--resume", "--n-jobs", "2", "--chunk-size", "10", "--quiet"]
    assert main(command) == 0  # --resume with no output yet starts one
    first = capsys.readouterr()
    assert "40 files in" in first.out and "40 classified, 0 failed" in first.out
    assert first.err == ""  # --quiet: no progress bar
    assert sorted(p.name for p in out.iterdir()) == [f"part-{i:06d}.parquet" for i in range(4)]
    listing.write_text("\n".join(files[:70] + ["missing.fits.gz"]) + "\n")
    assert main(command) == 0  # finishes the 31 new paths only
    second = capsys.readouterr().out
    assert "31 files in" in second and "1 failed (read_error 1)" in second
    assert "40 already in" in second
    table = pq.read_table(out).to_pylist()
    serial = tmp_path / "serial.csv"
    assert main(["predict", str(model), "--files-from", str(listing), "--output",
                 str(serial), "--quiet"]) == 0
    expected = _csv(serial)
    assert [r["name"] for r in table] == [r["name"] for r in expected]
    assert [r["predicted"] or "" for r in table] == [r["predicted"] for r in expected]
    assert [r["status"] for r in table] == ["ok"] * 70 + ["read_error"]
    assert "missing.fits.gz" in table[-1]["error"]


def test_progress_bar_summary_and_glob(model, files, tmp_path, capsys):
    out = tmp_path / "p.csv"
    pattern = os.path.join(os.path.dirname(files[0]), "1002*.fits.gz")
    assert main(["predict", str(model), "--glob", pattern, "--output", str(out)]) == 0
    captured = capsys.readouterr()
    n = sum(os.path.basename(f).startswith("1002") for f in files)
    assert f"{n}/{n}" in captured.err and "file/s" in captured.err  # tqdm bar: rate
    assert f"{n} files in" in captured.out and "files/s" in captured.out
    assert f"wrote {out}" in captured.out
    assert len(_csv(out)) == n


def test_existing_output_on_error_raise_and_bad_suffix(model, files, tmp_path, capsys):
    out = tmp_path / "p.csv"
    out.write_text("mine\n")
    assert main(["predict", str(model), files[0], "--output", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--resume" in err and "--force" in err and out.read_text() == "mine\n"
    raising = tmp_path / "r.csv"
    status = main(["predict", str(model), *files[:3], str(tmp_path / "gone.fits.gz"),
                   *files[3:6], "--output", str(raising), "--on-error", "raise",
                   "--chunk-size", "3", "--quiet"])
    assert status == 1
    assert "gone.fits.gz" in capsys.readouterr().err
    assert [r["name"] for r in _csv(raising)] == files[:3]  # the finished chunk is kept
    assert main(["predict", str(model), files[0], "--output", str(tmp_path / "p.xlsx"),
                 "--quiet"]) == 1
    assert "suffix" in capsys.readouterr().err
