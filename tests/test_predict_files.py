"""predict_files: chunked, once-read, failure-recording, resumable, parallel prediction.

Models are the SpeX preset trained on the SpeX sample embedded in the
package (an SVC, fast and deterministic; a tiny CNN where probabilities
matter), applied to the sample's real files and, with the data home, to
every file of ``spex_prism/spectra``.
"""

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from spectra_sklearn import predict_files
from spectra_sklearn.cli import main
from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.io import SpectrumReadError
from spectra_sklearn.pipelines import make_spex_pipeline

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def spex():
    return load_spex_sample()


@pytest.fixture(scope="module")
def svc_model(spex):
    return make_spex_pipeline(model="svc").fit(spex.filenames, spex.target_class)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """An SVC SpeX-preset model file written by ``spectra-sklearn fit``."""
    path = tmp_path_factory.mktemp("model") / "svc.joblib"
    assert main(["fit", "spex-sample", "--model", "svc", "--model-file", str(path)]) == 0
    return path


@pytest.fixture
def bad_files(tmp_path):
    """A missing file and a file that is not FITS."""
    broken = tmp_path / "broken.fits.gz"
    broken.write_bytes(b"this is not a FITS file\n")
    return [str(tmp_path / "missing.fits.gz"), str(broken)]


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -- what is predicted --------------------------------------------------------------


def test_svc_rows_match_the_pipeline_in_input_order(spex, svc_model):
    paths = list(spex.filenames[::7])
    result = predict_files(svc_model, paths, chunk_size=9, progress=False)
    table = result.table
    assert list(table["name"]) == paths
    assert list(table["predicted"]) == list(svc_model.predict(paths))
    assert set(table["status"]) == {"ok"} and set(table["error"]) == {""}
    assert "probability" not in table  # SVC(probability=False): no probabilities
    assert result.n_done == len(paths) and result.n_failed == 0
    assert sum(result.class_counts.values()) == len(paths)


def test_cnn_labels_are_the_argmax_of_the_probabilities(spex):
    model = make_spex_pipeline(model="cnn", max_epochs=2).fit(
        spex.filenames[::2], spex.target_class[::2])
    paths = list(spex.filenames[1::4])
    table = predict_files(model, paths, chunk_size=16, progress=False).table
    expected = model.predict_proba(paths)
    columns = [f"probability_{c}" for c in model.classes_]
    proba = np.column_stack([table[c] for c in columns])
    np.testing.assert_allclose(proba, expected, rtol=1e-6, atol=1e-7)
    assert list(table["predicted"]) == list(model.classes_[np.argmax(expected, axis=1)])
    np.testing.assert_allclose(table["probability"], expected.max(axis=1), rtol=1e-6)


def test_each_file_is_read_and_preprocessed_once(spex, svc_model, monkeypatch):
    from spectra_sklearn.io import _reader

    read = []
    original = _reader._read_files

    def counting(paths, *args, **kwargs):
        read.extend(paths)
        return original(paths, *args, **kwargs)

    monkeypatch.setattr(_reader, "_read_files", counting)
    resampler = svc_model.steps[1][1]
    transformed = []
    original_transform = type(resampler).transform

    def counting_transform(self, X):
        transformed.append(len(X))
        return original_transform(self, X)

    monkeypatch.setattr(type(resampler), "transform", counting_transform)
    paths = list(spex.filenames[:40])
    predict_files(svc_model, paths, chunk_size=15, progress=False)
    assert sorted(read) == sorted(paths)
    assert transformed == [15, 15, 10]


def test_paths_from_a_text_file_or_a_glob(spex, svc_model, tmp_path):
    folder = os.path.dirname(spex.filenames[0])
    listing = tmp_path / "list.txt"
    chosen = sorted(spex.filenames)[:5]
    listing.write_text("# five files\n" + "\n".join(
        os.path.relpath(p, tmp_path) for p in chosen) + "\n\n")
    from_list = predict_files(svc_model, listing, progress=False).table
    assert [os.path.normpath(p) for p in from_list["name"]] == chosen
    pattern = os.path.join(folder, "1001*.fits.gz")
    from_glob = predict_files(svc_model, pattern, progress=False).table
    assert list(from_glob["name"]) == sorted(p for p in spex.filenames
                                             if os.path.basename(p).startswith("1001"))
    with pytest.raises(ValueError, match="matches no file"):
        predict_files(svc_model, os.path.join(folder, "nothing*.fits"), progress=False)


# -- failures -------------------------------------------------------------------------


def test_unreadable_files_get_a_row_and_the_run_goes_on(spex, svc_model, bad_files):
    good = list(spex.filenames[:6])
    paths = good[:3] + bad_files + good[3:]
    result = predict_files(svc_model, paths, chunk_size=4, progress=False)
    table = result.table
    assert list(table["status"]) == ["ok"] * 3 + ["read_error"] * 2 + ["ok"] * 3
    assert "missing.fits.gz" in table["error"][3] and "broken.fits.gz" in table["error"][4]
    assert table["predicted"][3] is None
    assert list(table["predicted"][[0, 1, 2, 5, 6, 7]]) == list(svc_model.predict(good))
    assert result.status_counts == {"ok": 6, "read_error": 2}
    assert "2 failed (read_error 2)" in result.summary()
    with pytest.raises(SpectrumReadError, match="missing.fits.gz"):
        predict_files(svc_model, paths, on_error="raise", progress=False)
    # a chunk in which no file can be read
    alone = predict_files(svc_model, bad_files, chunk_size=1, progress=False).table
    assert list(alone["status"]) == ["read_error"] * 2
    assert list(alone["predicted"]) == [None, None]


def _refuse_source(marker):
    def check(batch):
        for meta in batch.meta:
            if marker in meta.get("source", ""):
                raise ValueError(f"refusing {meta['source']}")
        return batch

    return check


def test_a_step_failing_on_one_file_is_traced_to_that_file(spex, svc_model):
    reader, resampler, normaliser, svc = (s for _, s in svc_model.steps)
    paths = list(spex.filenames[:10])
    marker = os.path.basename(paths[6])
    model = make_pipeline(reader, resampler, FunctionTransformer(_refuse_source(marker)),
                          normaliser, svc)
    table = predict_files(model, paths, chunk_size=5, progress=False).table
    assert list(table["status"]) == ["ok"] * 6 + ["error"] + ["ok"] * 3
    assert table["error"][6] == f"ValueError: refusing {paths[6]}"
    assert list(table["predicted"][:6]) == list(svc_model.predict(paths[:6]))


def test_every_real_spex_file_with_the_one_bad_normalisation_marked(shared_data, svc_model):
    # the case: the SpeX preset over all of spex_prism/spectra used to
    # fail as a whole ("Input X contains NaN") because one spectrum has no
    # flux in its 1.2-1.3 µm normalisation window
    paths = sorted((shared_data / "spex_prism" / "spectra").glob("*.fits.gz"))
    assert len(paths) > 2400
    result = predict_files(svc_model, paths, progress=False)
    table = result.table
    bad = np.flatnonzero(table["status"] != "ok")
    assert len(bad) == 1
    assert os.path.basename(table["name"][bad[0]]) == "12652_12381.fits.gz"
    assert table["status"][bad[0]] == "non_finite"
    assert "could not determine the continuum" in table["error"][bad[0]]
    assert result.status_counts == {"ok": len(paths) - 1, "non_finite": 1}
    assert set(table["predicted"][table["status"] == "ok"]) == {"M", "L", "T"}
    with pytest.raises(ValueError, match="12652_12381.fits.gz: non-finite flux"):
        predict_files(svc_model, paths[bad[0] - 3:bad[0] + 3], on_error="raise",
                      progress=False)


# -- output files, overwrite and resume ---------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".sqlite"])
def test_outputs_hold_the_table_and_are_never_overwritten(spex, svc_model, bad_files,
                                                          tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow", reason="Parquet output needs pyarrow")
    paths = list(spex.filenames[:12]) + bad_files
    expected = predict_files(svc_model, paths, progress=False).table
    out = tmp_path / f"out{suffix}"
    result = predict_files(svc_model, paths, output=out, chunk_size=5, progress=False)
    assert result.table is None and result.output == out
    assert _read_table(out) == _as_rows(expected)
    with pytest.raises(FileExistsError, match="resume=True"):
        predict_files(svc_model, paths[:2], output=out, progress=False)
    assert _read_table(out) == _as_rows(expected)
    predict_files(svc_model, paths[:2], output=out, force=True, progress=False)
    assert len(_read_table(out)) == 2


def _as_rows(table):
    names = list(table)
    rows = []
    for i in range(len(table["name"])):
        row = {}
        for c in names:
            v = table[c][i]
            row[c] = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
        rows.append(row)
    return rows


def _read_table(path):
    """Any of the three outputs as a list of dicts (None for missing values)."""
    path = str(path)
    if path.endswith(".csv"):
        rows = _csv(path)
        return [{k: (None if v == "" and k not in ("error",) else v) for k, v in r.items()}
                for r in rows]
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    import sqlite3

    db = sqlite3.connect(path)
    try:
        cursor = db.execute("SELECT * FROM predictions ORDER BY row")
        names = [d[0] for d in cursor.description][1:]
        return [dict(zip(names, r[1:])) for r in cursor]
    finally:
        db.close()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".sqlite"])
def test_resume_finishes_a_partial_output(spex, svc_model, tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow", reason="Parquet output needs pyarrow")
    paths = list(spex.filenames[:30]) * 2  # a path listed twice is predicted twice
    whole = tmp_path / f"whole{suffix}"
    predict_files(svc_model, paths, output=whole, chunk_size=8, progress=False)
    part = tmp_path / f"part{suffix}"
    predict_files(svc_model, paths[:40], output=part, chunk_size=8, progress=False)
    result = predict_files(svc_model, paths, output=part, chunk_size=8, resume=True,
                           progress=False)
    assert (result.n_skipped, result.n_done) == (40, 20)
    assert _read_table(part) == _read_table(whole)
    again = predict_files(svc_model, paths, output=part, resume=True, progress=False)
    assert again.n_done == 0 and _read_table(part) == _read_table(whole)


def test_resume_cuts_a_csv_row_cut_short_and_refuses_another_model(spex, svc_model,
                                                                   tmp_path):
    paths = list(spex.filenames[:10])
    whole = tmp_path / "whole.csv"
    predict_files(svc_model, paths, output=whole, progress=False)
    part = tmp_path / "part.csv"
    lines = whole.read_bytes().splitlines(keepends=True)
    part.write_bytes(b"".join(lines[:5]) + lines[5][:17])  # killed while writing row 5
    predict_files(svc_model, paths, output=part, resume=True, progress=False)
    assert part.read_bytes() == whole.read_bytes()
    other = tmp_path / "other.csv"
    other.write_text("name,predicted,probability,probability_A,status,error\n")
    with pytest.raises(ValueError, match="cannot resume"):
        predict_files(svc_model, paths, output=other, resume=True, progress=False)


def test_a_run_killed_mid_way_resumes_to_the_uninterrupted_output(spex, model_file,
                                                                  tmp_path):
    listing = tmp_path / "list.txt"
    paths = list(spex.filenames) * 8  # 2,400 paths in 96 chunks of 25: a few seconds
    listing.write_text("\n".join(paths) + "\n")
    whole = tmp_path / "whole.csv"
    args = ["predict", str(model_file), "--files-from", str(listing), "--chunk-size", "25",
            "--quiet"]
    assert main(args + ["--output", str(whole)]) == 0
    killed = tmp_path / "killed.csv"
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "spectra_sklearn", *args,
                             "--output", str(killed)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if killed.exists() and killed.read_bytes().count(b"\n") >= 26:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        status = proc.wait()
    assert status == -signal.SIGKILL, proc.stderr.read().decode()
    proc.stderr.close()
    n_rows = len(_csv(killed))
    assert 25 <= n_rows < len(paths)
    assert main(args + ["--output", str(killed), "--resume"]) == 0
    assert killed.read_bytes() == whole.read_bytes()


# -- parallel ---------------------------------------------------------------------------


def test_local_processes_give_the_serial_output(spex, model_file, bad_files, tmp_path):
    paths = list(spex.filenames[::3]) + bad_files
    serial = tmp_path / "serial.csv"
    predict_files(model_file, paths, output=serial, chunk_size=10, progress=False)
    parallel = tmp_path / "parallel.csv"
    result = predict_files(model_file, paths, output=parallel, chunk_size=10, n_jobs=2,
                           progress=False)
    assert result.status_counts == {"ok": len(paths) - 2, "read_error": 2}
    assert parallel.read_bytes() == serial.read_bytes()


def test_parameters_are_checked_before_any_work(svc_model, tmp_path):
    with pytest.raises(ValueError, match="chunk_size"):
        predict_files(svc_model, ["a.fits"], chunk_size=0)
    with pytest.raises(ValueError, match="on_error"):
        predict_files(svc_model, ["a.fits"], on_error="skip")
    with pytest.raises(ValueError, match="resume"):
        predict_files(svc_model, ["a.fits"], output=tmp_path / "o.csv", resume=True,
                      force=True)
    with pytest.raises(ValueError, match="suffix"):
        predict_files(svc_model, ["a.fits"], output=tmp_path / "o.txt")
    with pytest.raises(TypeError, match="Pipeline"):
        predict_files(svc_model.steps[-1][1], ["a.fits"])
    with pytest.raises(ValueError, match="not a text file listing"):
        predict_files(svc_model, load_spex_sample().filenames[0])  # a .fits.gz, not a list
    with pytest.raises(FileNotFoundError, match="neither a text file"):
        predict_files(svc_model, str(tmp_path / "nothing.txt"))


def test_a_dask_cluster_gives_the_serial_output(spex, svc_model, bad_files, tmp_path):
    # a real LocalCluster of two worker processes on 127.0.0.1: the model is
    # scattered to them, they read the files themselves and stream rows back
    distributed = pytest.importorskip(
        "distributed", reason="dask.distributed is not installed (pip install 'dask[distributed]')")
    paths = list(spex.filenames[::2]) + bad_files
    serial = tmp_path / "serial.csv"
    predict_files(svc_model, paths, output=serial, chunk_size=20, progress=False)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=40)
    try:
        with distributed.Client(cluster) as client:
            on_cluster = tmp_path / "cluster.csv"
            result = predict_files(svc_model, paths, output=on_cluster, chunk_size=20,
                                   client=client, progress=False)
            workers = client.run(os.getpid)
    finally:
        cluster.close()
    assert len(workers) == 2 and os.getpid() not in workers.values()
    assert result.status_counts == {"ok": len(paths) - 2, "read_error": 2}
    assert sorted(on_cluster.read_bytes().splitlines()) == sorted(
        serial.read_bytes().splitlines())
    assert on_cluster.read_bytes() == serial.read_bytes()  # and in input order
