"""Fuzzing the image reader: damaged real JPEGs, PNG and FITS bytes may only raise ImageReadError.

Real Galaxy Zoo JPEGs (and a PNG, a FITS and a tile-compressed FITS file
written from one) are truncated at random offsets, have random bytes
overwritten, or are replaced by random bytes; each damaged file is read with
format identification and with an explicit format. An ImageBatch may come
back; any other exception -- or a leaked warning, which the project's warning
filters turn into an error -- fails the test.
"""

import io

import numpy as np
import pytest
from _galaxy_zoo_images import galaxy_zoo_image_paths
from astropy.io import fits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from spectra_sklearn.images import ImageBatch, ImageReadError, read_image


@pytest.fixture(scope="module")
def galaxy_zoo_paths(shared_data):
    return galaxy_zoo_image_paths(shared_data)


@pytest.fixture(scope="module")
def seeds(galaxy_zoo_paths):
    with open(galaxy_zoo_paths[1], "rb") as f:
        jpeg = f.read()
    with Image.open(io.BytesIO(jpeg)) as im:
        small = im.resize((48, 48))
        png = io.BytesIO()
        small.save(png, format="PNG")
        gray = np.asarray(small.convert("L"), dtype=np.float32)
    buffer = io.BytesIO()
    fits.PrimaryHDU(gray).writeto(buffer)
    compressed = io.BytesIO()  # tile-compressed (cfitsio inside astropy)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(gray)]).writeto(compressed)
    return {"galaxy.jpeg": jpeg, "galaxy.png": png.getvalue(), "galaxy.fits": buffer.getvalue(),
            "compressed.fits": compressed.getvalue()}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("image_fuzz")


def _only_read_errors(path, format):
    try:
        result = read_image(path, format=format)
    except ImageReadError as exc:
        assert exc.path == str(path), "the error must name the file"
        assert str(path) in str(exc)
        return
    assert isinstance(result, ImageBatch) and len(result) == 1
    assert result.pixels.dtype == np.float32


FUZZ = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
FORMATS = st.sampled_from([None, "jpeg", "png", "fits"])
NAMES = st.sampled_from(["galaxy.jpeg", "galaxy.png", "galaxy.fits", "compressed.fits"])


@FUZZ
@given(name=NAMES, fraction=st.floats(0.0, 1.0), format=FORMATS)
def test_truncated_files(seeds, workdir, name, fraction, format):
    data = seeds[name]
    path = workdir / f"cut_{name}"
    path.write_bytes(data[: int(len(data) * fraction)])
    _only_read_errors(path, format)


@FUZZ
@given(name=NAMES, flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)),
                                  min_size=1, max_size=20), format=FORMATS)
def test_overwritten_bytes(seeds, workdir, name, flips, format):
    data = bytearray(seeds[name])
    for where, value in flips:
        data[min(int(where * len(data)), len(data) - 1)] = value
    path = workdir / f"flip_{name}"
    path.write_bytes(bytes(data))
    _only_read_errors(path, format)


@FUZZ
@given(data=st.binary(max_size=3000), prefix=st.sampled_from(
    [b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"SIMPLE  =                    T"]),
    format=FORMATS)
def test_random_bytes_behind_a_signature(workdir, data, prefix, format):
    path = workdir / "random.bin"
    path.write_bytes(prefix + data)
    _only_read_errors(path, format)


def test_undamaged_seeds_read(seeds, workdir):
    for name, data in seeds.items():
        (workdir / name).write_bytes(data)
        assert len(read_image(workdir / name)) == 1
