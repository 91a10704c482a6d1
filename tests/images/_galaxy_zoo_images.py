"""Real Galaxy Zoo 1 JPEGs from the data home (SDSS gri cutouts, 423 x 423).

A helper module for the test modules here, each of which wraps it in a
``galaxy_zoo_paths`` fixture (not a conftest.py: a second ``conftest``
basename under tests/ clashes with tests/plotting/conftest.py in pytest's
default import mode).
"""

import pytest


def galaxy_zoo_image_paths(shared_data, n=40):
    """The first ``n`` image paths of ``galaxy_zoo1/images``, sorted (skip without them)."""
    folder = shared_data / "galaxy_zoo1" / "images"
    if not folder.is_dir():
        pytest.skip(f"Galaxy Zoo 1 images not in the data home ({folder})")
    paths = sorted(str(p) for p in folder.glob("*.jpeg"))[:n]
    assert len(paths) == n
    return paths
