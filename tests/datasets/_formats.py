"""Skip a test cleanly while the reader a fetcher needs is not registered yet."""

import pytest


def require_format(name):
    from spectra_sklearn.io import available_formats

    if name not in available_formats():
        pytest.skip(f"the {name!r} reader is not registered in spectra_sklearn.io")
