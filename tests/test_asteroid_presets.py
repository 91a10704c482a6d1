"""The asteroid-table presets: Mahlke 2022 classes from the reflectance and the albedo."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.cli._datasets import DATASETS
from spectra_sklearn.pipelines import make_asteroid_table_pipeline


@pytest.fixture(scope="module")
def mahlke(shared_data):
    from spectra_sklearn.datasets import fetch_mahlke2022

    return fetch_mahlke2022(data_home=shared_data, download_if_missing=False)


def test_albedo_preset_beats_the_spectrum_alone_on_mahlke_classes(mahlke):
    # Mahlke's classes come from the spectrum and pV (E/M/P differ mainly in albedo):
    # with the albedo column the same SVC must do clearly better in grouped CV
    X, y, groups = mahlke.data, np.asarray(mahlke.target), np.asarray(mahlke.object_id)
    cv = StratifiedGroupKFold(3, shuffle=True, random_state=0)
    scores = {}
    for key in (None, "log10_albedo"):
        model = make_asteroid_table_pipeline(53, albedo_key=key)(model="svc")
        scores[key] = cross_val_score(model, X, y, groups=groups, cv=cv).mean()
    assert scores["log10_albedo"] > scores[None] + 0.04, scores


def test_the_cli_mahlke_preset_uses_the_albedo_and_demeo_does_not():
    mahlke = DATASETS["mahlke2022"].make_pipeline(model="svc")
    demeo = DATASETS["demeo2009"].make_pipeline(model="svc")
    assert "featureunion" in mahlke.named_steps
    assert mahlke.named_steps["featureunion"].transformer_list[1][1].keys == ["log10_albedo"]
    assert "featureunion" not in demeo.named_steps


def _table_batch(n, albedo):
    rng = np.random.default_rng(0)
    wavelength = np.linspace(0.45, 2.45, 53)
    flux = 1 + 0.1 * rng.standard_normal((n, 53)) + np.arange(n)[:, None] % 2 * wavelength
    meta = [{} if albedo is None else {"log10_albedo": albedo[i]} for i in range(n)]
    return SpectrumBatch.from_arrays(wavelength, flux, meta=meta, wavelength_unit="um")


@pytest.mark.parametrize("model", ["svc", "cnn"])
def test_albedo_preset_fits_with_unknown_albedos_and_names_a_missing_key(model):
    y = np.array(["S", "C"] * 10)
    albedo = np.where(np.arange(20) % 3 == 0, np.nan, np.log10(0.2) + 0.1 * (y == "S"))
    pipeline = make_asteroid_table_pipeline(53, albedo_key="log10_albedo")(
        model=model, max_epochs=2)
    fitted = clone(pipeline).fit(_table_batch(20, albedo), y)
    assert set(fitted.predict(_table_batch(20, albedo))) <= {"S", "C"}
    with pytest.raises(ValueError, match="log10_albedo"):
        fitted.predict(_table_batch(4, None))  # spectra without the key: named, not NaN


def test_albedo_preset_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="'model' parameter"):
        make_asteroid_table_pipeline(53, albedo_key="log10_albedo")(model="forest")
