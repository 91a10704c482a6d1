"""Real Galaxy Zoo 1 JPEGs from the data home (SDSS gri cutouts, 423 x 423)."""

import pytest


@pytest.fixture(scope="session")
def galaxy_zoo_paths(shared_data):
    """The first 40 image paths of ``galaxy_zoo1/images``, sorted (skip without them)."""
    folder = shared_data / "galaxy_zoo1" / "images"
    if not folder.is_dir():
        pytest.skip(f"Galaxy Zoo 1 images not in the data home ({folder})")
    paths = sorted(str(p) for p in folder.glob("*.jpeg"))[:40]
    assert len(paths) == 40
    return paths
