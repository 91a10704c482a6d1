"""ImageReader: inputs, parameters, tags, placeholders, caching and Pipelines on real paths."""

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _galaxy_zoo_images import galaxy_zoo_image_paths
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import InvalidParameterError

from spectra_sklearn.images import ImageBatch, ImageReader, ImageReadError, ImageReadWarning


@pytest.fixture(scope="module")
def galaxy_zoo_paths(shared_data):
    return galaxy_zoo_image_paths(shared_data)


def centre_colours(batch):
    """Mean r, g, b of the central 40 x 40 pixels (module level: the Pipeline pickles)."""
    return batch.pixels[:, :, 191:231, 191:231].mean(axis=(2, 3))


@pytest.mark.parametrize(
    "wrap",
    [tuple, lambda p: [Path(x) for x in p], np.array, lambda p: np.array(p, dtype=object),
     lambda p: np.array(p).reshape(-1, 1), lambda p: pd.DataFrame({"path": p}), pd.Series],
    ids=["tuple", "pathlib", "str-array", "object-array", "column-array", "dataframe", "series"],
)
def test_reader_accepts_path_containers(galaxy_zoo_paths, wrap):
    paths = galaxy_zoo_paths[:3]
    batch = ImageReader().transform(wrap(paths))
    assert [m["source"] for m in batch.meta] == paths


def test_batch_passes_through(galaxy_zoo_paths):
    batch = ImageReader().fit_transform(galaxy_zoo_paths[:2])
    assert ImageReader().transform(batch) is batch


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("one.jpeg", TypeError, "single path 'one.jpeg'"),
        (Path("one.jpeg"), TypeError, "single path"),
        (np.array([["a", "b"]]), ValueError, r"single column of paths; got shape \(1, 2\)"),
        ([1.0, 2.0], TypeError, "item 0 of X is a float"),
        (3, TypeError, "got int"),
    ],
)
def test_bad_X(X, error, match):
    with pytest.raises(error, match=match):
        ImageReader().transform(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"format": "gif"}, "'format' parameter of ImageReader"),
        ({"mode": "CMYK"}, "'mode' parameter of ImageReader"),
        ({"max_pixels": 0}, "'max_pixels' parameter of ImageReader"),
        ({"n_jobs": "two"}, "'n_jobs' parameter of ImageReader"),
    ],
)
def test_parameter_validation(params, match):
    reader = ImageReader(**params)
    for method in (reader.fit, reader.transform):
        with pytest.raises(InvalidParameterError, match=match):
            method(["x.jpeg"])


@pytest.mark.parametrize("params", [{"stretch": "gamma"}, {"percentile": (5, 1)}])
def test_stretch_and_percentile_validation(params):
    with pytest.raises(ValueError, match="parameter of ImageReader"):
        ImageReader(**params).fit(["x.fits"])


def test_fit_is_stateless_and_reads_nothing(tmp_path):
    reader = ImageReader()
    assert reader.fit([tmp_path / "absent.jpeg"]) is reader
    assert [k for k in vars(reader) if k.endswith("_")] == []


def test_tags():
    tags = get_tags(ImageReader())
    assert tags.input_tags.two_d_array is False and tags.input_tags.string is True
    assert tags.requires_fit is False and tags.transformer_tags is not None


def test_placeholders_keep_rows_aligned(galaxy_zoo_paths, tmp_path):
    paths = [galaxy_zoo_paths[0], str(tmp_path / "missing.jpeg"), galaxy_zoo_paths[1]]
    with pytest.raises(ImageReadError, match="missing.jpeg"):
        ImageReader().transform(paths)
    with pytest.warns(ImageReadWarning, match="all-NaN placeholders"):
        batch = ImageReader(on_error="warn").transform(paths)
    assert len(batch) == 3 and batch.common_shape and batch.band_names == ("r", "g", "b")
    assert np.isnan(batch.pixels[1]).all() and not np.isnan(batch.pixels[0]).any()
    assert "no such file" in batch.meta[1]["read_error"]
    assert batch.meta[1]["source"] == paths[1]
    lonely = ImageReader(on_error="skip").transform([paths[1]])
    assert lonely.pixels.shape == (1, 1, 1, 1) and "read_error" in lonely.meta[0]


def test_clone_pickle_and_safe_indexing(galaxy_zoo_paths):
    reader = ImageReader(format="jpeg", n_jobs=1)
    assert clone(reader).get_params() == reader.get_params()
    restored = pickle.loads(pickle.dumps(reader))
    np.testing.assert_array_equal(restored.transform(galaxy_zoo_paths[:2]).pixels,
                                  reader.transform(galaxy_zoo_paths[:2]).pixels)
    subset = _safe_indexing(np.array(galaxy_zoo_paths), np.array([5, 0]))
    batch = reader.transform(subset)
    assert [m["source"] for m in batch.meta] == [galaxy_zoo_paths[5], galaxy_zoo_paths[0]]


def test_memory_reads_each_unchanged_file_list_once(galaxy_zoo_paths, tmp_path, monkeypatch):
    import joblib

    from spectra_sklearn.images import _reader

    copies = []
    for p in galaxy_zoo_paths[:3]:
        copies.append(str(tmp_path / Path(p).name))
        Path(copies[-1]).write_bytes(Path(p).read_bytes())
    calls = []
    real = _reader._read_each
    monkeypatch.setattr(_reader, "_read_each",
                        lambda files, *a, **k: calls.append(list(files)) or real(files, *a, **k))
    reader = ImageReader(memory=joblib.Memory(tmp_path / "cache", verbose=0))
    first = reader.fit_transform(copies)
    again = clone(reader).transform(copies)
    assert calls == [copies]
    np.testing.assert_array_equal(again.pixels, first.pixels)
    Path(copies[0]).write_bytes(Path(galaxy_zoo_paths[5]).read_bytes())
    changed = reader.transform(copies)
    assert len(calls) == 2 and not np.array_equal(changed.pixels[0], first.pixels[0])


def _labelled(galaxy_zoo_paths, shared_data):
    import csv

    with open(shared_data / "galaxy_zoo1" / "labels" / "smallCSV_class.csv") as f:
        classes = {row["OBJID"]: int(row["CLASS"]) for row in csv.DictReader(f)}
    folder = shared_data / "galaxy_zoo1" / "images"
    ellipticals = [p for p in sorted(folder.glob("*.jpeg")) if classes[p.stem] == 0][:20]
    edge_on = [p for p in sorted(folder.glob("*.jpeg")) if classes[p.stem] == 3][:20]
    paths = [str(p) for p in ellipticals + edge_on]
    return paths, np.array([0] * 20 + [3] * 20)


def test_pipeline_cross_val_score_and_grid_search_on_real_paths(galaxy_zoo_paths, shared_data):
    paths, y = _labelled(galaxy_zoo_paths, shared_data)
    pipe = make_pipeline(ImageReader(), FunctionTransformer(centre_colours),
                         KNeighborsClassifier(3))
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, paths, y, cv=cv)
    assert scores.shape == (4,)  # runs end to end on paths; chance is 0.5
    search = GridSearchCV(pipe, {"kneighborsclassifier__n_neighbors": [1, 5]}, cv=cv)
    search.fit(paths, y)
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(restored.predict(paths[:4]),
                                  search.best_estimator_.predict(paths[:4]))


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


# parametrize_with_checks skips estimators whose input_tags.two_d_array is False
# (with a SkipTestWarning): the API checks that need no 2-D data run one by one.
@pytest.mark.parametrize("name", API_CHECKS)
def test_sklearn_api_checks(name):
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, name)("ImageReader", ImageReader())


def test_empty_path_list_gives_empty_batch():
    batch = ImageReader().transform([])
    assert isinstance(batch, ImageBatch) and len(batch) == 0
