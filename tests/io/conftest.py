"""Fixtures of the reader tests."""

from pathlib import Path

import pytest

#: The committed SpeX fixture: a real SpeX Prism Library file (MIT), with
#: uncertainties and a flux unit (see tests/fixtures/make_fixtures.py).
SPEX_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "spex" / "12815_10353.fits.gz"


@pytest.fixture(scope="session")
def one_spex_file(request):
    """A real SpeX file: ``10001_10443.fits.gz`` of the data home, else the
    committed SpeX fixture, so that tests needing one real file run anywhere."""
    try:
        folder = request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        return SPEX_FIXTURE
    return folder / "spex_prism" / "spectra" / "10001_10443.fits.gz"
