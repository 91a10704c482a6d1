"""Readers refuse anything but a regular file before opening it: no hang, no endless read."""

import os

import pytest

from spectra_sklearn.io import SpectrumReadError, available_formats, read_spectra, read_spectrum
from spectra_sklearn.io._fits import open_fits, open_fitsio


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "spectrum.fits"
    os.mkfifo(path)  # opening it for reading would block until a writer comes
    return path


@pytest.mark.parametrize("format", [None, *available_formats()])
def test_a_fifo_is_refused_by_every_format_without_blocking(fifo, format):
    with pytest.raises(SpectrumReadError, match="not a regular file") as info:
        read_spectrum(fifo, format=format)
    assert str(fifo) in str(info.value)


@pytest.mark.parametrize("format", ["spex", "sdss", "fits", "smass", "ascii", "demeo2009"])
def test_a_device_is_refused(format):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(SpectrumReadError, match="not a regular file"):
        read_spectrum("/dev/zero", format=format)


def test_the_library_paths_refuse_a_fifo_too(fifo):
    with pytest.raises(SpectrumReadError, match="not a regular file"):
        with open_fits(fifo):
            pass
    with pytest.raises(SpectrumReadError, match="not a regular file"):
        with open_fitsio(fifo):
            pass


def test_skip_reads_the_rest_when_one_path_is_a_fifo(fifo, tmp_path):
    from spectra_sklearn.datasets import load_spex_sample

    good = load_spex_sample().filenames[:2]
    with pytest.warns(UserWarning):
        batch = read_spectra([good[0], fifo, good[1]], format="spex", on_error="warn")
    assert len(batch) == 2
