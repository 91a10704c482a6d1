"""The "adding a reader" example of the docs works as shown: one new module.

``docs/user_guide/reading.rst`` includes ``docs/examples_src/my_format_reader.py``
with ``literalinclude``; this test writes that exact text as a new module in a
fresh folder, imports it, and reads a file of the format with the public
functions, with no other edit (the registry is restored afterwards).
"""

import importlib
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from numpy.testing import assert_allclose, assert_array_equal

from spectra_sklearn.io import (
    SpectrumReader,
    SpectrumReadError,
    _registry,
    identify_format,
    read_spectra,
    read_spectrum,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = DOCS / "examples_src" / "my_format_reader.py"
PAGE = DOCS / "user_guide" / "reading.rst"


def _myspec_file(path, n=50):
    flux = 1.0 + 0.01 * np.arange(n)
    header = fits.Header({"INSTRUME": "MYSPEC", "OBJECT": "HD 1", "CRVAL1": 4000.0,
                          "CDELT1": 2.0, "CRPIX1": 1.0})
    error = np.full(n, 0.1)
    error[3] = 0.0
    fits.HDUList([fits.PrimaryHDU(flux, header=header),
                  fits.ImageHDU(error, name="ERROR")]).writeto(path)
    return flux


@pytest.fixture
def example_module(tmp_path, monkeypatch):
    """The docs' module text, imported as a new module; the registry restored after."""
    monkeypatch.setattr(_registry, "_FORMATS", dict(_registry._FORMATS))
    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / "my_format_reader.py").write_text(EXAMPLE.read_text())
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "my_format_reader", raising=False)
    yield importlib.import_module("my_format_reader")
    sys.modules.pop("my_format_reader", None)


def test_the_docs_include_the_tested_module():
    text = PAGE.read_text()
    assert re.search(r"literalinclude:: \.\./examples_src/my_format_reader\.py", text)
    assert "priority=" in EXAMPLE.read_text()


def test_a_new_reader_is_one_module(tmp_path, example_module):
    path = tmp_path / "star.fits"
    flux = _myspec_file(path)
    assert identify_format(path) == "myspec"
    spectrum = read_spectrum(path)
    assert spectrum.meta["format"] == "myspec" and spectrum.meta["object"] == "HD 1"
    assert_allclose(spectrum.wavelength, 4000.0 + 2.0 * np.arange(flux.size))
    assert_allclose(spectrum.flux, flux)
    assert str(spectrum.wavelength_unit) == "Angstrom"
    assert_allclose(spectrum.ivar[[0, 3]], [100.0, 0.0])
    assert_array_equal(np.flatnonzero(spectrum.mask), [3])
    # Batches and the pipeline step find it too.
    batch = read_spectra([path, path])
    assert len(batch) == 2
    assert len(SpectrumReader().fit_transform([path])) == 1


def test_without_the_module_the_generic_reader_takes_the_file(tmp_path, monkeypatch):
    # The example's priority is what makes its reader win.
    monkeypatch.setattr(_registry, "_FORMATS", dict(_registry._FORMATS))
    monkeypatch.delitem(_registry._FORMATS, "myspec", raising=False)
    path = tmp_path / "star.fits"
    _myspec_file(path)
    assert identify_format(path) == "fits"


def test_the_example_reader_rejects_a_bad_file(tmp_path, example_module):
    path = tmp_path / "cube.fits"
    fits.PrimaryHDU(np.ones((2, 3)), header=fits.Header({"INSTRUME": "MYSPEC"})).writeto(path)
    with pytest.raises(SpectrumReadError, match=r"cube\.fits.*expected a 1-D primary image"):
        read_spectrum(path, format="myspec")
