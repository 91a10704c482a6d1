"""Saving and loading the neural estimators: pickle, joblib and the safe format."""

import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone

from spectra_sklearn.nn import (
    SpectrumAutoencoder,
    SpectrumCNNClassifier,
    SpectrumCNNRegressor,
    SpectrumRNNClassifier,
    load,
)


def _data(n_spectra=40, n_pixels=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(1.0, 0.1, (n_spectra, n_pixels))
    y = np.where(np.arange(n_spectra) % 2 == 0, "C", "S")
    X[y == "C", 5:9] -= 0.4
    return X, y


def _outputs(est, X):
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    if hasattr(est, "transform"):
        return np.column_stack([est.transform(X), est.score_samples(X)])
    return est.predict(X)


ESTIMATORS = [
    SpectrumCNNClassifier(max_epochs=2, n_filters=4, class_weight={"C": 2.0},
                          random_state=0),
    SpectrumCNNRegressor(max_epochs=2, n_filters=4, random_state=0),
    SpectrumCNNRegressor(loss="huber", max_epochs=2, n_filters=4, random_state=0),
    SpectrumCNNRegressor(loss="log_loss", max_epochs=2, n_filters=4, random_state=0),
    SpectrumRNNClassifier(max_epochs=2, hidden_size=4, optimizer=torch.optim.SGD,
                          random_state=0),
    SpectrumAutoencoder(max_epochs=2, n_filters=4, n_components=2, random_state=0),
    SpectrumAutoencoder(architecture="dense", max_epochs=2, hidden_size=8,
                        n_components=2, random_state=0),
]


def _fit(est, X, y):
    est = clone(est)
    if isinstance(est, SpectrumCNNRegressor) and est.loss == "log_loss":
        # a single target on a few discrete values
        return est.fit(X, np.round(3 * X[:, 0]).clip(-3, 3))
    if isinstance(est, SpectrumCNNRegressor):
        return est.fit(X, np.column_stack([(y == "C") * 1.0, X[:, 0]]))
    if isinstance(est, SpectrumAutoencoder):
        return est.fit(X)
    return est.fit(X, y)


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda e: type(e).__name__)
def fitted(request):
    X, y = _data()
    return _fit(request.param, X, y)


def test_pickle_and_joblib_round_trip(fitted, tmp_path):
    X, _ = _data(seed=1)
    expected = _outputs(fitted, X)
    np.testing.assert_array_equal(_outputs(pickle.loads(pickle.dumps(fitted)), X), expected)
    joblib.dump(fitted, tmp_path / "model.joblib")
    np.testing.assert_array_equal(_outputs(joblib.load(tmp_path / "model.joblib"), X),
                                  expected)


def test_save_load_gives_identical_outputs(fitted, tmp_path):
    X, _ = _data(seed=1)
    path = tmp_path / "model.zip"
    fitted.save(path)
    loaded = load(path)
    assert type(loaded) is type(fitted)
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(_outputs(loaded, X), _outputs(fitted, X))
    assert loaded.n_features_in_ == fitted.n_features_in_
    assert len(loaded.history_) == len(fitted.history_)
    if hasattr(fitted, "classes_"):
        np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
        assert loaded.classes_.dtype == fitted.classes_.dtype
    if hasattr(fitted, "predict"):
        np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_save_keeps_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"w{i}" for i in range(X.shape[1])])
    clf = SpectrumCNNClassifier(max_epochs=1, n_filters=2).fit(frame, y)
    clf.save(tmp_path / "m.zip")
    np.testing.assert_array_equal(load(tmp_path / "m.zip").feature_names_in_,
                                  clf.feature_names_in_)


def test_save_unfitted_raises(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SpectrumCNNClassifier().save(tmp_path / "m.zip")


def test_save_refuses_optimizer_outside_torch_optim(tmp_path):
    X, y = _data()

    class MyAdam(torch.optim.Adam):
        pass

    clf = SpectrumCNNClassifier(max_epochs=1, n_filters=2, optimizer=MyAdam).fit(X, y)
    with pytest.raises(ValueError, match="only optimizers of torch.optim"):
        clf.save(tmp_path / "m.zip")


class _Payload:
    """Unpickling this runs ``marker.write_text`` -- what load must never do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (_write_marker, (str(self.marker),))


def _write_marker(path):
    with open(path, "w") as f:
        f.write("code ran")
    return {}


def _rewrite(source, target, *, params=None, weights=None, text=None):
    with zipfile.ZipFile(source) as archive:
        document = json.loads(archive.read("params.json"))
        original_weights = archive.read("weights.pt")
    if params is not None:
        params(document)
    with zipfile.ZipFile(target, "w") as archive:
        encoded = json.dumps(document)
        archive.writestr("params.json", encoded if text is None else text(encoded))
        archive.writestr("weights.pt", original_weights if weights is None else weights)


@pytest.fixture
def saved(tmp_path):
    X, y = _data()
    path = tmp_path / "good.zip"
    SpectrumCNNClassifier(max_epochs=1, n_filters=2).fit(X, y).save(path)
    return path


@pytest.mark.parametrize("how", ["pickle", "torch.save"])
def test_load_refuses_pickled_code_in_the_weights(saved, tmp_path, how):
    marker = tmp_path / "marker.txt"
    buffer = io.BytesIO()
    if how == "pickle":
        pickle.dump(_Payload(marker), buffer)
    else:
        torch.save({"x": _Payload(marker)}, buffer)
    bad = tmp_path / "bad.zip"
    _rewrite(saved, bad, weights=buffer.getvalue())
    with pytest.raises(ValueError, match="other than tensors"):
        load(bad)
    assert not marker.exists()


def test_load_refuses_a_pickle_file(tmp_path):
    marker = tmp_path / "marker.txt"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match="not an estimator saved by"):
        load(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(estimator="Popen"), "names estimator 'Popen'"),
        (lambda d: d["params"].update(optimizer="__builtins__"), "unknown optimizer"),
        (lambda d: d.update(format="other/9"), "unknown format"),
        (lambda d: d["fitted"].update(__class__="x"), "unexpected fitted attribute"),
    ],
)
def test_load_refuses_tampered_parameters(saved, tmp_path, edit, message):
    bad = tmp_path / "bad.zip"
    _rewrite(saved, bad, params=edit)
    with pytest.raises(ValueError, match=message):
        load(bad)


def test_every_public_estimator_is_registered_for_load():
    import spectra_sklearn.nn as nn_package
    from spectra_sklearn.nn._base import BaseSpectrumNet, registered_estimators

    public = {name for name in nn_package.__all__
              if isinstance(getattr(nn_package, name), type)
              and issubclass(getattr(nn_package, name), BaseSpectrumNet)}
    assert public and public <= set(registered_estimators())


def test_a_new_subclass_registers_itself_and_round_trips(tmp_path):
    from spectra_sklearn.nn._base import registered_estimators

    class ThinCNNForRegistryTest(SpectrumCNNClassifier):
        """A subclass defined outside the package: load() finds it by name."""

    assert registered_estimators()["ThinCNNForRegistryTest"] is ThinCNNForRegistryTest
    X, y = _data()
    est = ThinCNNForRegistryTest(max_epochs=1, n_filters=4, random_state=0).fit(X, y)
    est.save(tmp_path / "thin.zip")
    loaded = load(tmp_path / "thin.zip")
    assert type(loaded) is ThinCNNForRegistryTest
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_two_estimators_with_one_name_are_refused():
    with pytest.raises(TypeError, match="already registered"):
        type("SpectrumCNNClassifier", (SpectrumCNNClassifier,), {"__module__": "elsewhere"})


def _private_module_params(document):
    return document["private"]["_net_spec"]["__dict__"][0][1]["__dict__"]


def _set_module_param(document, name, value):
    for pair in _private_module_params(document):
        if pair[0] == name:
            pair[1] = value
            return
    raise AssertionError(f"no module parameter {name!r} in the saved document")


def test_load_refuses_a_gigantic_network_before_allocating_it(saved, tmp_path):
    # 10^6 filters in each of the convolution blocks would be terabytes of weights
    import resource

    bad = tmp_path / "huge.zip"
    _rewrite(saved, bad, params=lambda d: _set_module_param(d, "n_filters", 10**6))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match="do not fit the network"):
        load(bad)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


def test_load_refuses_classes_that_disagree_with_the_network_outputs(saved, tmp_path):
    # a third class name but a 2-output network: predictions would be misassigned
    def add_class(document):
        document["fitted"]["classes_"]["__ndarray__"].append("X")
        document["fitted"]["classes_"]["dtype"] = "<U1"

    bad = tmp_path / "classes.zip"
    _rewrite(saved, bad, params=add_class)
    with pytest.raises(ValueError, match="2 outputs but the fitted estimator has 3"):
        load(bad)


def test_load_refuses_a_member_claiming_more_than_its_bound(saved, tmp_path):
    # 100 MB of JSON whitespace compresses to ~100 kB: refused from its claimed size
    with zipfile.ZipFile(saved) as archive:
        text = archive.read("params.json").decode()
        weights = archive.read("weights.pt")
    bad = tmp_path / "whitespace.zip"
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("params.json", text + " " * (100 * 2**20))
        archive.writestr("weights.pt", weights)
    assert bad.stat().st_size < 2**20
    with pytest.raises(ValueError, match="claims .* bytes, more than"):
        load(bad)


_MALFORMED = [
    lambda d: d.update(params=[]),
    lambda d: d.update(fitted=None),
    lambda d: d["params"].pop("optimizer"),
    lambda d: d["params"].update(n_filters="many"),
    lambda d: d["params"].update(not_a_parameter=1),
    lambda d: d["private"].update(_net_spec=[1, 2]),
    lambda d: d["private"].update(_net_spec={"__dict__": [["module_params", 3]]}),
    lambda d: d["private"].pop("_net_spec"),
    lambda d: d["fitted"].update(classes_={"__ndarray__": 5, "dtype": "<U1"}),
    lambda d: d["fitted"].update(classes_={"__ndarray__": [], "dtype": "<M8"}),
    lambda d: d["fitted"].update(classes_={"__dict__": 7}),
    lambda d: d["fitted"].update(classes_={"mystery": 1}),
    lambda d: d.update(history={"epoch": 1}),
    lambda d: d.update(estimator=["SpectrumCNNClassifier"]),
    lambda d: _set_module_param(d, "n_blocks", -3),
    lambda d: _set_module_param(d, "kernel_size", "wide"),
    lambda d: _private_module_params(d).append(["no_such_argument", 1]),
    lambda d: d["fitted"].update(classes_="NESTED"),  # replaced by _deeply_nested
]


def _deeply_nested(text):
    # deeper than json's recursion limit: RecursionError in json.loads
    return text.replace('"NESTED"', "[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("edit", _MALFORMED, ids=range(len(_MALFORMED)))
def test_load_raises_only_value_error_on_malformed_archives(saved, tmp_path, edit):
    bad = tmp_path / "bad.zip"
    _rewrite(saved, bad, params=edit, text=_deeply_nested)
    with pytest.raises(ValueError, match="bad.zip"):
        load(bad)


@pytest.mark.parametrize("weights", [b"", b"garbage", "list", "tensor"])
def test_load_raises_value_error_on_weights_that_are_not_a_state_dict(saved, tmp_path,
                                                                      weights):
    if weights in ("list", "tensor"):
        buffer = io.BytesIO()
        torch.save([torch.zeros(2)] if weights == "list" else torch.zeros(3), buffer)
        weights = buffer.getvalue()
    bad = tmp_path / "bad.zip"
    _rewrite(saved, bad, weights=weights)
    with pytest.raises(ValueError, match="bad.zip"):
        load(bad)
