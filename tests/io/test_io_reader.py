"""SpectrumReader and read_spectra: inputs, parameters, tags, and Pipelines on real paths."""

import csv
import io
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import InvalidParameterError

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.io import SpectrumReader, SpectrumReadError, read_spectra, read_spectrum

GRID = np.linspace(0.95, 2.3, 60)  # micron: inside every SpeX prism spectrum


def median_normalised_flux(batch):
    """Each spectrum interpolated on GRID over its good pixels, divided by its median.

    Dividing by the median makes the mixed flux units of the library irrelevant.
    Module level so that the Pipeline pickles.
    """
    rows = []
    for s in batch:
        good = ~s.mask
        flux = np.interp(GRID, s.wavelength[good], s.flux[good])
        rows.append(flux / np.median(flux))
    return np.array(rows)


@pytest.fixture(scope="module")
def labelled_spex(shared_data):
    """60 real SpeX paths, 20 each of M, L and T, with letter labels and source keys."""
    folder = shared_data / "spex_prism"
    text = (folder / "metadata" / "spectral_data.txt").read_bytes().decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    chosen = {"M": [], "L": [], "T": []}
    for row in rows:
        letter = (row["SPEX_TYPE"] or " ")[0]
        path = folder / "spectra" / (row["DATA_FILE"] + ".gz")
        if (letter in chosen and len(chosen[letter]) < 20 and row["QUALITY_FLAG"] == "OK"
                and path.exists()):
            chosen[letter].append((str(path), letter, row["SOURCE_KEY"]))
    picked = [item for letter in "MLT" for item in chosen[letter]]
    assert len(picked) == 60
    paths, y, groups = (list(t) for t in zip(*picked))
    return paths, np.array(y), np.array(groups)


def test_reader_reads_paths_in_order(labelled_spex):
    paths = labelled_spex[0][:8]
    batch = SpectrumReader(format="spex").fit_transform(paths)
    assert isinstance(batch, SpectrumBatch) and len(batch) == 8
    assert [m["source"] for m in batch.meta] == paths
    expected = read_spectra(paths, format="spex")
    for a, b in zip(batch, expected):
        np.testing.assert_array_equal(a.flux, b.flux)


@pytest.mark.parametrize(
    "wrap",
    [
        tuple,
        lambda p: [Path(x) for x in p],
        lambda p: np.array(p),
        lambda p: np.array(p, dtype=object),
        lambda p: np.array(p).reshape(-1, 1),
        lambda p: pd.DataFrame({"path": p}),
        lambda p: pd.Series(p),
    ],
    ids=["tuple", "pathlib", "str-array", "object-array", "column-array", "dataframe", "series"],
)
def test_reader_accepts_path_containers(labelled_spex, wrap):
    paths = labelled_spex[0][:4]
    batch = SpectrumReader(format="spex").transform(wrap(paths))
    assert [m["source"] for m in batch.meta] == paths


def test_spectra_pass_through(labelled_spex):
    paths = labelled_spex[0][:3]
    reader = SpectrumReader()
    batch = reader.transform(paths)
    assert reader.transform(batch) is batch
    spectra = list(batch)
    again = reader.transform(spectra)
    assert all(a is b for a, b in zip(again, spectra))
    one = reader.transform(spectra[0])
    assert len(one) == 1
    np.testing.assert_array_equal(one[0].flux, spectra[0].flux)
    mixed = reader.transform([spectra[0], paths[1], spectra[2]])
    assert [m["source"] for m in mixed.meta] == paths
    assert mixed[0] is spectra[0] and mixed[2] is spectra[2]


def test_identification_per_file_with_mixed_formats(labelled_spex, shared_data, tmp_path):
    smass = tmp_path / "a000001.[2]"
    smass.write_text("0.435 0.90 0.015\n0.4375 0.92 0.013\n")
    miles = shared_data / "miles/spectra/MILES_res2.50_star_m0001V.fits"
    batch = SpectrumReader().transform([labelled_spex[0][0], smass, miles])
    assert [m["format"] for m in batch.meta] == ["spex", "smass", "miles"]


def test_parallel_read_keeps_order(labelled_spex):
    paths = labelled_spex[0][::10]
    batch = SpectrumReader(format="spex", n_jobs=2).transform(paths)
    assert [m["source"] for m in batch.meta] == paths


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("one.fits", TypeError, "single path 'one.fits'"),
        (Path("one.fits"), TypeError, "single path"),
        (np.array([["a", "b"]]), ValueError, r"single column of paths; got shape \(1, 2\)"),
        ([1.0, 2.0], TypeError, "item 0 of X is a float"),
        (3, TypeError, "got int"),
    ],
)
def test_bad_X(X, error, match):
    with pytest.raises(error, match=match):
        SpectrumReader().transform(X)


def test_bad_path_in_X_names_the_file(tmp_path):
    with pytest.raises(SpectrumReadError, match=r"missing\.fits.*no such file"):
        SpectrumReader().fit_transform([tmp_path / "missing.fits"])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"format": "nope"}, r"'format' parameter of SpectrumReader must be a str among"),
        ({"format": 3}, r"'format' parameter of SpectrumReader must be"),
        ({"n_jobs": "two"}, r"'n_jobs' parameter of SpectrumReader must be"),
    ],
)
def test_parameter_validation(params, match):
    reader = SpectrumReader(**params)
    with pytest.raises(InvalidParameterError, match=match):
        reader.fit(["x.fits"])
    with pytest.raises(InvalidParameterError, match=match):
        reader.transform(["x.fits"])


def test_fit_is_stateless_and_reads_nothing(tmp_path):
    reader = SpectrumReader(format="spex")
    assert reader.fit([tmp_path / "does-not-exist.fits"]) is reader
    assert [k for k in vars(reader) if k.endswith("_")] == []


def test_tags():
    tags = get_tags(SpectrumReader())
    assert tags.input_tags.two_d_array is False
    assert tags.input_tags.string is True
    assert tags.requires_fit is False
    assert tags.transformer_tags is not None


def test_clone_and_pickle(labelled_spex):
    reader = SpectrumReader(format="spex", n_jobs=1)
    copy = clone(reader)
    assert copy is not reader and copy.get_params() == {
        "format": "spex", "n_jobs": 1, "on_error": "raise", "progress": None,
        "memory": None}
    restored = pickle.loads(pickle.dumps(reader))
    paths = labelled_spex[0][:2]
    for a, b in zip(restored.transform(paths), reader.transform(paths)):
        np.testing.assert_array_equal(a.flux, b.flux)


def test_safe_indexing_of_paths_then_read(labelled_spex):
    paths = np.array(labelled_spex[0])
    idx = np.array([5, 0, 42])
    subset = _safe_indexing(paths, idx)
    batch = SpectrumReader(format="spex").transform(subset)
    assert [m["source"] for m in batch.meta] == [labelled_spex[0][i] for i in idx]
    # and a read batch is indexable the same way
    whole = read_spectra(labelled_spex[0][:10], format="spex")
    picked = _safe_indexing(whole, [3, 1])
    assert [m["source"] for m in picked.meta] == [labelled_spex[0][3], labelled_spex[0][1]]


def _pipeline():
    return make_pipeline(
        SpectrumReader(format="spex"),
        FunctionTransformer(median_normalised_flux),
        KNeighborsClassifier(n_neighbors=3),
    )


def test_pipeline_cross_val_score_on_real_paths(labelled_spex):
    paths, y, groups = labelled_spex
    scores = cross_val_score(_pipeline(), paths, y, groups=groups, cv=GroupKFold(3))
    # M, L and T dwarfs differ strongly in near-IR shape; chance is 1/3
    assert scores.mean() > 0.8


def test_pipeline_grid_search_clone_and_pickle(labelled_spex):
    paths, y, groups = labelled_spex
    search = GridSearchCV(_pipeline(), {"kneighborsclassifier__n_neighbors": [1, 5]},
                          cv=GroupKFold(3))
    search.fit(paths, y, groups=groups)
    assert search.best_score_ > 0.8
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(restored.predict(paths[:6]),
                                  search.best_estimator_.predict(paths[:6]))
    fresh = clone(search.best_estimator_)
    assert fresh.get_params()["spectrumreader__format"] == "spex"


def test_read_spectra_rejects_a_single_path():
    with pytest.raises(TypeError, match="single path"):
        read_spectra("x.fits")


def test_read_spectrum_rejects_non_path():
    with pytest.raises(TypeError, match="needs a path"):
        read_spectrum(42)


def test_empty_path_list_gives_empty_batch():
    batch = SpectrumReader(format="spex").transform([])
    assert isinstance(batch, SpectrumBatch) and len(batch) == 0


def test_reader_output_feeds_spectrum_consumers(labelled_spex):
    batch = SpectrumReader(format="spex").transform(labelled_spex[0][:2])
    assert all(isinstance(s, Spectrum) for s in batch.spectra)


# sklearn's parametrize_with_checks skips estimators whose input_tags.two_d_array is
# False (with a SkipTestWarning, an error under this project's warning filters), so
# the API checks that need no 2-D numeric data are run here one by one.
API_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_param_validation",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
]


@pytest.mark.parametrize("name", API_CHECKS)
def test_sklearn_api_checks(name):
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, name)("SpectrumReader", SpectrumReader())


def test_memory_reads_each_unchanged_file_list_once(labelled_spex, tmp_path, monkeypatch):
    import joblib

    from spectra_sklearn.io import _reader

    paths = [str(p) for p in labelled_spex[0][:6]]
    copies = []
    for p in paths:  # copies we may touch
        copies.append(tmp_path / Path(p).name)
        copies[-1].write_bytes(Path(p).read_bytes())
    copies = [str(c) for c in copies]
    calls = []
    real = _reader.read_each
    monkeypatch.setattr(_reader, "read_each",
                        lambda files, *a, **k: calls.append(list(files)) or real(files, *a, **k))
    reader = SpectrumReader(format="spex", memory=joblib.Memory(tmp_path / "cache", verbose=0))
    first = reader.fit_transform(copies)
    again = clone(reader).transform(copies)  # a clone (as in a grid search) shares the cache
    assert calls == [copies]
    np.testing.assert_array_equal(again[3].flux, first[3].flux)
    assert again[3].meta == first[3].meta
    # other files, or the same files after one of them changed, are read again
    reader.transform(copies[:3])
    assert len(calls) == 2
    Path(copies[0]).write_bytes(Path(paths[1]).read_bytes())
    changed = reader.transform(copies)
    assert len(calls) == 3
    np.testing.assert_array_equal(changed[0].flux, first[1].flux)
    # a folder name works too; memory=None reads every time
    SpectrumReader(format="spex", memory=str(tmp_path / "cache2")).transform(copies)
    SpectrumReader(format="spex", memory=str(tmp_path / "cache2")).transform(copies)
    assert len(calls) == 4
    SpectrumReader(format="spex").transform(copies)
    SpectrumReader(format="spex").transform(copies)
    assert len(calls) == 6
