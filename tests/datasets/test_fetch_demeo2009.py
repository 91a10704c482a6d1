"""fetch_demeo2009 on the real data home (DeMeo et al. 2009 via classy)."""

import csv
import re
from collections import Counter

import numpy as np
import pytest

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.datasets import fetch_demeo2009


@pytest.fixture(scope="module")
def table(shared_data):
    with open(shared_data / "demeo2009" / "demeo2009_splined_spectra.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def demeo(shared_data):
    return fetch_demeo2009(data_home=shared_data, download_if_missing=False)


def test_one_spectrum_per_row_on_the_table_grid(demeo, table):
    assert isinstance(demeo.data, SpectrumBatch)
    wavelengths = [float(c) for c in table[0] if re.fullmatch(r"\d+\.\d+", c)]
    assert demeo.data.shape == (len(table), len(wavelengths))
    assert np.allclose(demeo.data.wavelength, wavelengths)
    row = table[7]
    reflectance = [float(row[c]) for c in row if re.fullmatch(r"\d+\.\d+", c)]
    assert np.allclose(np.asarray(demeo.data)[7], reflectance)


def test_labels_and_groups_follow_the_table(demeo, table):
    assert demeo.target.tolist() == [r["class_"] for r in table]
    assert Counter(demeo.target.tolist()) == Counter(r["class_"] for r in table)
    assert demeo.target_base.tolist() == [re.sub("w$", "", r["class_"]) for r in table]
    bases = {re.sub("w$", "", r["class_"]) for r in table}
    assert len(set(demeo.target_base.tolist())) == len(bases)
    assert not any(c.endswith("w") for c in demeo.target_base)
    expected_groups = [r["number"] or r["name"] for r in table]
    assert demeo.groups.tolist() == [str(int(float(g))) if re.fullmatch(r"[\d.]+", g) else g
                                     for g in expected_groups]
    assert demeo.frame["designation"].tolist() == demeo.groups.tolist()
    assert sorted(demeo.target_names.tolist()) == sorted(set(demeo.target.tolist()))
    assert "DeMeo" in demeo.DESCR and "MIT" in demeo.DESCR


def test_return_x_y_and_frame(shared_data, demeo):
    pd = pytest.importorskip("pandas")
    data, target = fetch_demeo2009(data_home=shared_data, return_X_y=True)
    assert np.array_equal(target, demeo.target) and len(data) == len(target)
    frame = fetch_demeo2009(data_home=shared_data, as_frame=True).frame
    assert isinstance(frame, pd.DataFrame) and list(frame["class_"]) == demeo.target.tolist()


def test_missing_file_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="demeo2009/demeo2009_splined_spectra.csv"):
        fetch_demeo2009(data_home=tmp_path, download_if_missing=False)
    assert list(tmp_path.iterdir()) == []
