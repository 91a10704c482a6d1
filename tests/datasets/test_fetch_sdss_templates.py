"""fetch_sdss_templates on the real data home (idlspec2d stellar templates)."""

import csv
from collections import Counter

import numpy as np
import pytest
from _formats import require_format

from spectra_sklearn.datasets import fetch_sdss_templates, parse_sdss_subclass


@pytest.fixture(scope="module")
def table(shared_data):
    path = shared_data / "sdss_templates" / "labels" / "stellar_templates_labels.csv"
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_subclass_parser_agrees_with_the_label_table(table):
    for row in table:
        mk_class, mk_subclass, star_id = parse_sdss_subclass(row["sdss_subclass"])
        assert (mk_class, mk_subclass, star_id) == (
            row["mk_class"], row["mk_subclass"], row["star_id"]
        ), row["sdss_subclass"]


@pytest.mark.parametrize("template_set", ["55734", "53724", "all"])
def test_one_template_per_subclass(shared_data, table, template_set):
    require_format("sdss_templates")
    bunch = fetch_sdss_templates(template_set=template_set, data_home=shared_data)
    rows = [r for r in table if template_set == "all" or template_set in r["file"]]
    assert bunch.target.tolist() == [r["sdss_subclass"] for r in rows]
    assert Counter(bunch.target_class.tolist()) == Counter(r["mk_class"] for r in rows)
    assert len(bunch.data) == len(rows)
    for spectrum, row in zip(bunch.data, rows):
        assert spectrum.n_pixels == int(row["npix"])
        assert np.isclose(spectrum.wavelength.min(), float(row["wmin_A"]), atol=1)
    assert len(set(bunch.groups.tolist())) == len(rows)  # no star twice in one set


def test_missing_file_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="spEigenStar-55734.fits"):
        fetch_sdss_templates(data_home=tmp_path, download_if_missing=False)
