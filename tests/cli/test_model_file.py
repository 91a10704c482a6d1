"""Model files whose loading cannot run code (issue 17): skops + weights-only nets.

Each format a model file can hold gets a planted payload that would create a
marker file if it ran; loading must refuse it and the marker must not appear.
"""

import io
import json
import os
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as sio
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.cli import main
from spectra_sklearn.cli._model_file import MODEL_FILE_KIND, load_model, save_model
from spectra_sklearn.nn import SpectrumCNNClassifier
from spectra_sklearn.preprocessing import ContinuumNormalizer, SpectralResampler


class _Payload:
    """Unpickling this runs ``os.system`` (what a malicious model file does)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _data(n=24, p=40, seed=0):
    rng = np.random.default_rng(seed)
    flux = rng.normal(1.0, 0.05, (n, p))
    y = np.where(np.arange(n) % 2 == 0, "a", "b")
    flux[y == "a", 10:15] -= 0.3
    return SpectrumBatch.from_arrays(np.linspace(1.0, 2.0, p), flux, wavelength_unit="um"), y


def _pipeline(last):
    return make_pipeline(SpectralResampler(wavelength_min=1.1, wavelength_max=1.9,
                                           n_pixels=32, wavelength_unit="um"),
                         ContinuumNormalizer(), last)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    X, y = _data()
    cnn = _pipeline(SpectrumCNNClassifier(max_epochs=2, n_filters=4, random_state=0)).fit(X, y)
    path = tmp_path_factory.mktemp("model") / "cnn.zip"
    save_model(path, cnn, info={"trained_on": "test"})
    return path, cnn, X


@pytest.mark.parametrize("kind", ["svc", "cnn"])
def test_round_trip_gives_the_same_predictions(saved, tmp_path, kind):
    X, y = _data()
    if kind == "cnn":
        path, pipeline, _ = saved
    else:
        pipeline = _pipeline(CalibratedClassifierCV(SVC(random_state=0), ensemble=False,
                                                    cv=3)).fit(X, y)
        path = save_model(tmp_path / "svc.zip", pipeline, info={"trained_on": "test"})
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "pipeline.skops" in names and ("nets/net_0.zip" in names) == (kind == "cnn")
    loaded, info = load_model(path)
    assert info == {"trained_on": "test"}
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    assert loaded[0].wavelength_unit == "um" and str(loaded[0].wavelength_unit_) == "um"


def test_a_pickle_model_file_is_refused_without_trust(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "old.joblib"
    joblib.dump({"kind": MODEL_FILE_KIND, "pipeline": _Payload(marker), "info": {}}, path)
    with pytest.raises(ValueError, match="joblib pickle.*trust_pickle=True"):
        load_model(path)
    assert not marker.exists()
    # an old model file you trust still loads, explicitly
    X, y = _data()
    old = tmp_path / "trusted.joblib"
    pipeline = _pipeline(SVC(random_state=0)).fit(X, y)
    joblib.dump({"kind": MODEL_FILE_KIND, "pipeline": pipeline, "info": {"a": 1}}, old)
    loaded, info = load_model(old, trust_pickle=True)
    assert info == {"a": 1}
    np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))
    # the right tag without a pipeline: an error, not a KeyError
    joblib.dump({"kind": MODEL_FILE_KIND}, tmp_path / "empty.joblib")
    with pytest.raises(ValueError, match="holds no pipeline"):
        load_model(tmp_path / "empty.joblib", trust_pickle=True)


def _replace_member(source, target, name, data):
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for member in src.namelist():
            dst.writestr(member, data if member == name else src.read(member))


def test_a_skops_member_with_untrusted_types_is_refused(saved, tmp_path):
    path, _, _ = saved
    evil = make_pipeline(FunctionTransformer(func=os.system, kw_args={"command": "touch x"}))
    bad = tmp_path / "untrusted.zip"
    _replace_member(path, bad, "pipeline.skops", sio.dumps(evil))
    with pytest.raises(ValueError, match="not trusted.*system"):
        load_model(bad)


def test_network_weights_holding_a_pickled_object_are_refused(saved, tmp_path):
    path, _, _ = saved
    marker = tmp_path / "ran"
    with zipfile.ZipFile(path) as archive:
        net = archive.read("nets/net_0.zip")
    buffer = io.BytesIO()
    torch.save({"x": _Payload(marker)}, buffer)
    evil_net = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(net)) as src, zipfile.ZipFile(evil_net, "w") as dst:
        for member in src.namelist():
            dst.writestr(member, buffer.getvalue() if member.endswith(".pt")
                         else src.read(member))
    bad = tmp_path / "evil_weights.zip"
    _replace_member(path, bad, "nets/net_0.zip", evil_net.getvalue())
    with pytest.raises(ValueError, match="network 0"):
        load_model(bad)
    assert not marker.exists()


@pytest.mark.parametrize("damage, match", [
    (lambda d: d.update(kind="something else"), "does not say"),
    (lambda d: d.update(nets=10**9), "bad number of networks"),
    (lambda d: d.update(info=None), "no training information"),
])
def test_damaged_documents_are_value_errors(saved, tmp_path, damage, match):
    path, _, _ = saved
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("spectra_sklearn_model.json"))
    damage(document)
    bad = tmp_path / "damaged.zip"
    _replace_member(path, bad, "spectra_sklearn_model.json", json.dumps(document))
    with pytest.raises(ValueError, match=match):
        load_model(bad)


def test_cli_predict_needs_trust_pickle_for_an_old_file(tmp_path, capsys):
    marker = tmp_path / "ran"
    path = tmp_path / "old.joblib"
    joblib.dump({"kind": MODEL_FILE_KIND, "pipeline": _Payload(marker), "info": {}}, path)
    assert main(["predict", str(path), "x.fits", "--output", str(tmp_path / "p.csv")]) == 1
    assert "--trust-pickle" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.parametrize("table, match", [
    ("path,label\nx.fits,M\ny.fits\n", "line 3: the 'label' is missing"),
    ("path,label\nx.fits,M\ny.fits,\n", "line 3: the 'label' is empty"),
])
def test_fit_table_rows_without_a_label_are_errors(tmp_path, capsys, table, match):
    path = tmp_path / "train.csv"
    path.write_text(table)
    assert main(["fit", "--files-from", str(path), "--preset", "spex",
                 "--model-file", str(tmp_path / "m.zip")]) == 1
    assert match in capsys.readouterr().err


def test_fit_refuses_a_missing_output_folder_before_training(tmp_path, capsys):
    assert main(["fit", "spex-sample", "--model", "svc", "--model-file",
                 str(tmp_path / "nowhere" / "m.zip")]) == 1
    out, err = capsys.readouterr()
    assert "does not exist" in err and "pipeline:" not in out  # no training started


def test_a_damaged_network_archive_is_a_value_error(saved, tmp_path):
    path, _, _ = saved
    with zipfile.ZipFile(path) as archive:
        net = archive.read("nets/net_0.zip")
    for cut in (len(net) // 2, 40):
        bad = tmp_path / f"cut_{cut}.zip"
        _replace_member(path, bad, "nets/net_0.zip", net[:cut])
        with pytest.raises(ValueError, match="network 0"):
            load_model(bad)
