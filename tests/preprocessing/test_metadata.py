"""MetadataFeatures, FluxPixels and make_flux_metadata_union."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import (
    FluxPixels,
    MetadataFeatures,
    make_flux_metadata_union,
)

W = [1.0, 1.5, 2.0]


def _spectra(rows):
    return [
        Spectrum(W, [1.0, 2.0 + i, 1.0], meta={"source": f"s{i}.fits", **row})
        for i, row in enumerate(rows)
    ]


ROWS = [
    {"J_2MASS": 14.0, "H_2MASS": 13.5, "KS_2MASS": 13.0, "PARALLAX": 100.0},
    {"J_2MASS": 15.0, "H_2MASS": 14.1, "KS_2MASS": np.nan, "PARALLAX": None},
    {"J_2MASS": 12.5, "H_2MASS": 12.0, "KS_2MASS": 11.2, "PARALLAX": 20.0},
]


def test_values_colours_and_absolute_magnitudes():
    features = MetadataFeatures(
        ["KS_2MASS", "J_2MASS"],
        colours=[("J_2MASS", "H_2MASS"), "H_2MASS-KS_2MASS"],
        absolute_magnitudes=["J_2MASS"],
    )
    out = features.fit_transform(_spectra(ROWS))
    names = features.get_feature_names_out().tolist()
    assert names == [
        "KS_2MASS", "J_2MASS", "J_2MASS-H_2MASS", "H_2MASS-KS_2MASS", "abs_J_2MASS",
        "missingindicator_KS_2MASS", "missingindicator_H_2MASS-KS_2MASS",
        "missingindicator_abs_J_2MASS",
    ]
    for row, values in zip(ROWS, out):
        assert values[1] == row["J_2MASS"]
        np.testing.assert_allclose(values[2], row["J_2MASS"] - row["H_2MASS"])
        # M = m - 5 log10(d / 10 pc), d = 1000 / parallax[mas] pc
        if row["PARALLAX"] is None:
            assert np.isnan(values[4]) and values[7] == 1.0
        else:
            d = 1000.0 / row["PARALLAX"]
            np.testing.assert_allclose(values[4], row["J_2MASS"] - 5 * math.log10(d / 10))
            assert values[7] == 0.0
    np.testing.assert_array_equal(out[:, 5], [0.0, 1.0, 0.0])
    assert np.isnan(out[1, 0]) and np.isnan(out[1, 3])


def test_indicator_names_are_simple_imputers():
    pd = pytest.importorskip("pandas")
    spectra = _spectra(ROWS)
    features = MetadataFeatures(["J_2MASS", "KS_2MASS", "PARALLAX"]).fit(spectra)
    frame = pd.DataFrame(features.transform(spectra)[:, :3],
                         columns=["J_2MASS", "KS_2MASS", "PARALLAX"])
    imputer = SimpleImputer(add_indicator=True).fit(frame)
    assert features.get_feature_names_out().tolist() == \
        imputer.get_feature_names_out().tolist()


def test_missing_value_not_seen_in_fit_stays_nan():
    features = MetadataFeatures(["J_2MASS"]).fit(_spectra(ROWS))
    out = features.transform(_spectra([{"J_2MASS": None}]))
    assert out.shape == (1, 1) and np.isnan(out[0, 0])


def test_negative_parallax_gives_no_absolute_magnitude():
    out = MetadataFeatures(absolute_magnitudes=["J_2MASS"], keys=[]).fit_transform(
        _spectra([{"J_2MASS": 14.0, "PARALLAX": -3.0}, {"J_2MASS": 14.0, "PARALLAX": 10.0}])
    )
    assert np.isnan(out[0, 0]) and out[1, 0] == pytest.approx(9.0)


def test_missing_raise_names_spectrum_and_key():
    with pytest.raises(ValueError, match=r"'s1.fits'.*'KS_2MASS'.*missing='indicator'"):
        MetadataFeatures(["J_2MASS", "KS_2MASS"], missing="raise").fit(_spectra(ROWS))
    out = MetadataFeatures(["J_2MASS"], missing="raise").fit_transform(_spectra(ROWS))
    assert out.shape == (3, 1)


def test_absent_key_is_an_error_with_a_suggestion():
    spectra = _spectra(ROWS)
    del spectra[2].meta["H_2MASS"]
    with pytest.raises(ValueError, match=r"'s2.fits'.*no metadata key 'H_2MASS'"):
        MetadataFeatures(["H_2MASS"]).fit(spectra)
    with pytest.raises(ValueError, match=r"'J_2MAS'.*Did you mean \['J_2MASS'"):
        MetadataFeatures(["J_2MAS"]).fit(_spectra(ROWS))


@pytest.mark.parametrize("value, found", [
    ("abc", "the text 'abc'"),
    ("15.2", "the text '15.2'"),
    (np.array([1.0, 2.0]), r"an array of shape \(2,\)"),
    (True, "a bool"),
    (np.inf, "inf"),
])
def test_non_numeric_value_is_an_error(value, found):
    rows = [dict(r) for r in ROWS]
    rows[1]["J_2MASS"] = value
    with pytest.raises(ValueError, match=rf"'s1.fits'.*'J_2MASS'.*{found}"):
        MetadataFeatures(["J_2MASS"]).fit(_spectra(rows))


def test_all_missing_column_in_fit_is_an_error():
    rows = [{"J_2MASS": 14.0, "PARALLAX": None}, {"J_2MASS": 15.0, "PARALLAX": np.nan}]
    with pytest.raises(ValueError, match=r"no spectrum passed to fit has a value for "
                                         r"\['PARALLAX'\]"):
        MetadataFeatures(["J_2MASS", "PARALLAX"]).fit(_spectra(rows))


def test_bad_inputs_and_parameters():
    with pytest.raises(ValueError, match="name the metadata keys"):
        MetadataFeatures().fit(_spectra(ROWS))
    with pytest.raises(TypeError, match="file paths"):
        MetadataFeatures(["z"]).fit(["a.fits", "b.fits"])
    with pytest.raises(TypeError, match="mixes Spectrum"):
        MetadataFeatures(["z"]).fit(_spectra(ROWS) + [np.ones(3)])
    with pytest.raises(ValueError, match="exactly one '-'"):
        MetadataFeatures(["J_2MASS"], colours=["J-H-K"]).fit(_spectra(ROWS))
    fitted = MetadataFeatures(["J_2MASS"]).fit(_spectra(ROWS))
    fitted.set_params(keys=["H_2MASS"])
    with pytest.raises(ValueError, match="Refit"):
        fitted.transform(_spectra(ROWS))


def test_tables_are_selected_by_column_name():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [5.0, np.nan], "c": [0.0, 1.0]})
    features = MetadataFeatures(["b", "a"], colours=["a-c"]).fit(frame)
    np.testing.assert_array_equal(
        features.transform(frame), [[5.0, 1.0, 1.0, 0.0], [np.nan, 2.0, 1.0, 1.0]]
    )
    assert features.get_feature_names_out().tolist() == [
        "b", "a", "a-c", "missingindicator_b"]
    # an array whose columns are exactly the keys, in order
    out = MetadataFeatures(["p", "q"], colours=["p-q"]).fit_transform(np.ones((2, 2)))
    np.testing.assert_array_equal(out, [[1, 1, 0], [1, 1, 0]])
    with pytest.raises(ValueError, match=r"\['d'\] is not one of them"):
        MetadataFeatures(["d"]).fit(frame)


def test_batch_on_common_grid_and_subsets_stay_aligned():
    batch = SpectrumBatch.from_arrays(
        W, np.ones((3, 3)), meta=[{"z": 0.1 * i, "source": f"s{i}"} for i in range(3)]
    )
    features = MetadataFeatures(["z"]).fit(batch)
    np.testing.assert_allclose(features.transform(batch[[2, 0]])[:, 0], [0.2, 0.0])


def test_flux_pixels():
    batch = SpectrumBatch.from_arrays(
        [1.0, 1.0000001, 2.0], np.arange(6.0).reshape(2, 3), meta=[{}, {}]
    )
    step = FluxPixels().fit(batch)
    np.testing.assert_array_equal(step.transform(batch), np.arange(6.0).reshape(2, 3))
    assert step.get_feature_names_out().tolist() == ["1", "1.0000001", "2"]
    with pytest.raises(ValueError, match="ragged batch.*SpectralResampler"):
        FluxPixels().fit(SpectrumBatch([Spectrum([1, 2], [1, 1]), Spectrum([1, 3], [1, 1])]))
    other = SpectrumBatch.from_arrays([1.0, 1.5, 2.0], np.ones((1, 3)))
    with pytest.raises(ValueError, match="another grid"):
        step.transform(other)


def test_union_layout_and_parameters():
    batch = SpectrumBatch.from_arrays(
        [1.2, 1.3], np.array([[1.0, 2.0], [3.0, 4.0]]),
        meta=[{"z": 0.5, "snr": None}, {"z": 0.7, "snr": 30.0}],
    )
    union = make_flux_metadata_union(MetadataFeatures(["z", "snr"]))
    out = union.fit_transform(batch)
    np.testing.assert_array_equal(out[:, :2], [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(out[:, 2:], [[0.5, np.nan, 1.0], [0.7, 30.0, 0.0]])
    assert union.get_feature_names_out().tolist() == [
        "flux__1.2", "flux__1.3", "metadata__z", "metadata__snr",
        "metadata__missingindicator_snr",
    ]
    union2 = clone(union).set_params(metadata__keys=["z"])
    assert union2.fit_transform(batch).shape == (2, 3)
    pipe = make_pipeline(union, SimpleImputer())
    assert not np.isnan(pipe.fit_transform(batch)).any()
    with pytest.raises(TypeError, match="MetadataFeatures instance"):
        make_flux_metadata_union(SimpleImputer())


@pytest.fixture(scope="module")
def spex_sample():
    from spectra_sklearn.datasets import load_spex_sample

    return load_spex_sample()


def _fusion_input_pipeline(metadata):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from spectra_sklearn.preprocessing import FluxScaler, SpectralResampler

    return make_pipeline(
        SpectralResampler(wavelength_grid=np.linspace(0.9, 2.4, 40)),
        FluxScaler(),
        make_flux_metadata_union(metadata),
        SimpleImputer(),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )


def test_pipeline_on_the_spex_sample_cross_val_grid_search_clone(spex_sample):
    from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score

    metadata = MetadataFeatures(["J_2MASS", "H_2MASS", "KS_2MASS", "PARALLAX"],
                                colours=["J_2MASS-KS_2MASS"],
                                absolute_magnitudes=["J_2MASS"])
    pipe = _fusion_input_pipeline(metadata)
    X, y, groups = spex_sample.data, spex_sample.target_class, spex_sample.groups
    cv = GroupKFold(n_splits=3)
    scores = cross_val_score(clone(pipe), X, y, groups=groups, cv=cv)
    assert scores.mean() > 0.9  # flux + catalogue columns type the letter class

    fitted = clone(pipe).fit(X, y)
    union = fitted[2]
    names = union.get_feature_names_out().tolist()
    assert names[:2] == ["flux__0.9", "flux__0.938462"]
    assert names[40:] == [
        "metadata__J_2MASS", "metadata__H_2MASS", "metadata__KS_2MASS",
        "metadata__PARALLAX", "metadata__J_2MASS-KS_2MASS", "metadata__abs_J_2MASS",
        "metadata__missingindicator_J_2MASS", "metadata__missingindicator_H_2MASS",
        "metadata__missingindicator_KS_2MASS", "metadata__missingindicator_PARALLAX",
        "metadata__missingindicator_J_2MASS-KS_2MASS",
        "metadata__missingindicator_abs_J_2MASS",
    ]
    table = union.transform(fitted[:2].transform(X))[:, 40:]
    j = np.array([m["J_2MASS"] for m in X.meta])
    np.testing.assert_array_equal(table[:, 0], j)  # rows aligned with the spectra
    np.testing.assert_array_equal(table[:, 6], np.isnan(j))

    # the catalogue columns alone: the J - Ks colour separates M, L and T dwarfs
    colour_only = make_pipeline(
        MetadataFeatures([], colours=["J_2MASS-KS_2MASS"]), SimpleImputer(),
        clone(pipe[-1]),
    )
    assert cross_val_score(colour_only, X, y, groups=groups, cv=cv).mean() > 0.6

    search = GridSearchCV(
        clone(pipe),
        {"featureunion__metadata__keys": [["J_2MASS"], ["J_2MASS", "PARALLAX"]]},
        cv=cv,
    ).fit(X, y, groups=groups)
    assert search.best_params_["featureunion__metadata__keys"] in (
        ["J_2MASS"], ["J_2MASS", "PARALLAX"])
    assert search.predict(X[:5]).shape == (5,)


@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(-1e6, 1e6)),
                          st.floats(-1e6, 1e6)), min_size=1, max_size=8))
def test_values_are_the_meta_values_row_by_row(rows):
    spectra = [Spectrum(W, [1.0, 1.0, 1.0], meta={"a": a, "b": b}) for a, b in rows]
    a = np.array([np.nan if r[0] is None else r[0] for r in rows])
    if np.isnan(a).all():
        with pytest.raises(ValueError, match="no spectrum passed to fit"):
            MetadataFeatures(["a", "b"]).fit(spectra)
        return
    out = MetadataFeatures(["a", "b"], colours=["a-b"]).fit_transform(spectra)
    np.testing.assert_array_equal(out[:, 0], a)
    np.testing.assert_array_equal(out[:, 1], [r[1] for r in rows])
    np.testing.assert_array_equal(out[:, 2], a - np.array([r[1] for r in rows]))
    has_indicator = np.isnan(a).any()
    assert out.shape[1] == 3 + 2 * has_indicator  # a and a-b get indicators
    if has_indicator:
        np.testing.assert_array_equal(out[:, 3], np.isnan(a))


def test_add_metadata_by_row_and_by_key():
    from spectra_sklearn.preprocessing import add_metadata

    spectra = _spectra([{"SOURCE_KEY": 7}, {"SOURCE_KEY": 3}, {"SOURCE_KEY": 9}])
    by_row = add_metadata(spectra, {"V": [1.0, 2.0, 3.0]})
    assert [m["V"] for m in by_row.meta] == [1.0, 2.0, 3.0]
    assert "V" not in spectra[0].meta  # the input is not modified
    np.testing.assert_array_equal(by_row[1].flux, spectra[1].flux)
    table = {"SOURCE_KEY": np.array([9, 7, 3]), "J": np.array([12.0, 14.0, np.nan])}
    by_key = add_metadata(spectra, table, on="SOURCE_KEY")
    out = MetadataFeatures(["J"]).fit_transform(by_key)
    np.testing.assert_array_equal(out, [[14.0, 0.0], [np.nan, 1.0], [12.0, 0.0]])
    grid = SpectrumBatch.from_arrays(W, np.ones((2, 3)), meta=[{"k": "a"}, {"k": "b"}])
    joined = add_metadata(grid, {"k": ["b", "a"], "z": [0.2, 0.1]}, on="k")
    assert joined.on_common_grid and [m["z"] for m in joined.meta] == [0.1, 0.2]


def test_add_metadata_errors_name_the_spectrum_and_key():
    from spectra_sklearn.preprocessing import add_metadata

    spectra = _spectra([{"SOURCE_KEY": 7}, {"SOURCE_KEY": 3}])
    with pytest.raises(ValueError, match="the table has 3 rows for 2 spectra.*on="):
        add_metadata(spectra, {"J": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"'s1.fits'.*SOURCE_KEY=3.*unmatched='nan'"):
        add_metadata(spectra, {"SOURCE_KEY": [7], "J": [1.0]}, on="SOURCE_KEY")
    filled = add_metadata(spectra, {"SOURCE_KEY": [7], "J": [1.0]}, on="SOURCE_KEY",
                          unmatched="nan")
    assert filled.meta[0]["J"] == 1.0 and np.isnan(filled.meta[1]["J"])
    with pytest.raises(ValueError, match="SOURCE_KEY=7 is in rows 0 and 1"):
        add_metadata(spectra, {"SOURCE_KEY": [7, 7], "J": [1.0, 2.0]}, on="SOURCE_KEY")
    with pytest.raises(ValueError, match=r"'s0.fits'.*no meta\['id'\]"):
        add_metadata(spectra, {"id": [7], "J": [1.0]}, on="id")
    with pytest.raises(ValueError, match=r"'s0.fits'\) already has meta\['SOURCE_KEY'\] = 7"):
        add_metadata(spectra, {"SOURCE_KEY": [1, 2]})
    assert add_metadata(spectra, {"SOURCE_KEY": [1, 2]}, overwrite=True).meta[1][
        "SOURCE_KEY"] == 2
    with pytest.raises(TypeError, match="'table' must be"):
        add_metadata(spectra, [[1.0], [2.0]])
    with pytest.raises(TypeError, match="'spectra' must be"):
        add_metadata(np.ones((2, 3)), {"J": [1.0, 2.0]})


def test_pandas_output_is_named():
    pd = pytest.importorskip("pandas")
    features = MetadataFeatures(["J_2MASS", "KS_2MASS"]).set_output(transform="pandas")
    frame = features.fit_transform(_spectra(ROWS))
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["J_2MASS", "KS_2MASS", "missingindicator_KS_2MASS"]
    batch = SpectrumBatch.from_arrays([1.2, 1.3], np.ones((2, 2)),
                                      meta=[{"z": 0.5}, {"z": 0.7}])
    union = make_flux_metadata_union(MetadataFeatures(["z"])).set_output(transform="pandas")
    assert list(union.fit_transform(batch).columns) == [
        "flux__1.2", "flux__1.3", "metadata__z"]


def test_missing_nan_keeps_one_column_per_feature_whatever_the_data():
    from spectra_sklearn import Spectrum

    def spectra(values):
        return [Spectrum([1.0, 2.0], [1.0, 1.0], meta={"source": f"s{i}", "J": v, "H": 1.0})
                for i, v in enumerate(values)]

    complete, gappy = spectra([1.0, 2.0]), spectra([1.0, None])
    for missing, widths in (("indicator", {2, 3}), ("nan", {2})):
        got = {MetadataFeatures(["J", "H"], missing=missing).fit_transform(s).shape[1]
               for s in (complete, gappy)}
        assert got == widths, missing
    out = MetadataFeatures(["J", "H"], missing="nan").fit_transform(gappy)
    assert np.isnan(out[1, 0]) and out[0, 0] == 1.0
