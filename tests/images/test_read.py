"""read_image / read_images on real JPEGs, written PNG and FITS files, and bad files."""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from _galaxy_zoo_images import galaxy_zoo_image_paths
from astropy.io import fits
from astropy.visualization import AsinhStretch, ManualInterval
from PIL import Image

from spectra_sklearn.images import (
    ImageBatch,
    ImageReadError,
    ImageReadWarning,
    read_image,
    read_images,
)


@pytest.fixture(scope="module")
def galaxy_zoo_paths(shared_data):
    return galaxy_zoo_image_paths(shared_data)


def test_real_galaxy_zoo_jpegs(galaxy_zoo_paths):
    paths = galaxy_zoo_paths[:5]
    batch = read_images(paths)
    assert isinstance(batch, ImageBatch) and batch.pixels.shape == (5, 3, 423, 423)
    assert batch.band_names == ("r", "g", "b") and batch.pixels.dtype == np.float32
    with Image.open(paths[0]) as im:
        expected = np.asarray(im.convert("RGB"), dtype=np.float32) / 255
    np.testing.assert_allclose(batch.pixels[0], np.moveaxis(expected, -1, 0))
    assert 0.0 <= batch.pixels.min() and batch.pixels.max() <= 1.0
    meta = batch.meta[0]
    assert meta["source"] == paths[0] and meta["format"] == "jpeg"
    assert meta["size"] == (423, 423) and meta["mode"] == "RGB" and meta["origin"] == "upper"
    # a galaxy cutout is centred: the centre is brighter than the corners
    centre = batch.pixels[:, :, 200:223, 200:223].mean()
    corner = batch.pixels[:, :, :23, :23].mean()
    assert centre > 2 * corner


def test_parallel_read_keeps_order(galaxy_zoo_paths):
    paths = galaxy_zoo_paths[:4]
    batch = read_images(paths, n_jobs=2)
    assert [m["source"] for m in batch.meta] == paths
    np.testing.assert_array_equal(batch.pixels, read_images(paths).pixels)


@pytest.mark.parametrize(
    "array, mode, bands, scale",
    [
        (np.arange(12, dtype=np.uint8).reshape(3, 4) * 20, "L", ("gray",), 255),
        (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000, "I;16", ("gray",), 65535),
        (np.arange(36, dtype=np.uint8).reshape(3, 4, 3) * 7, "RGB", ("r", "g", "b"), 255),
    ],
)
def test_png_depths_scaled_to_unit_interval(tmp_path, array, mode, bands, scale):
    path = tmp_path / "x.png"
    Image.fromarray(array).save(path)
    image = read_image(path)
    assert image.band_names == bands and image.meta[0]["format"] == "png"
    expected = array.astype(np.float64) / scale
    expected = expected[None] if expected.ndim == 2 else np.moveaxis(expected, -1, 0)
    np.testing.assert_allclose(image.pixels[0], expected, rtol=1e-6)


def test_alpha_dropped_palette_converted_and_mode_forced(tmp_path):
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 10
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert image.band_names == ("r", "g", "b") and image.meta[0]["mode"] == "RGBA"
    np.testing.assert_array_equal(image.pixels[0, 0], 1.0)
    Image.fromarray(rgba[..., :3]).convert("P").save(tmp_path / "p.png")
    assert read_image(tmp_path / "p.png").band_names == ("r", "g", "b")
    gray = tmp_path / "g.png"
    Image.fromarray(np.full((2, 2), 51, dtype=np.uint8)).save(gray)
    both = read_images([gray, tmp_path / "a.png"], mode="RGB")
    assert both.common_shape and both.band_names == ("r", "g", "b")
    np.testing.assert_allclose(both.pixels[0], 0.2)
    assert read_image(tmp_path / "a.png", mode="L").band_names == ("gray",)
    mixed = read_images([gray, tmp_path / "a.png"])
    assert not mixed.common_shape and mixed.band_names_per_image == [("gray",), ("r", "g", "b")]


def _galaxy_fits(path, data, **cards):
    hdu = fits.PrimaryHDU(data)
    for key, value in cards.items():
        hdu.header[key] = value
    hdu.writeto(path)
    return path


def test_fits_2d_with_filter_card_and_stretches(tmp_path):
    rng = np.random.default_rng(1)
    data = rng.normal(10.0, 1.0, (30, 40))
    data[15, 20] = 1e4  # a bright core
    path = _galaxy_fits(tmp_path / "g.fits", data, FILTER="r", OBJECT="NGC 1")
    raw = read_image(path, stretch=None)
    np.testing.assert_allclose(raw.pixels[0, 0], data.astype(np.float32))
    assert raw.band_names == ("r",)
    meta = raw.meta[0]
    assert meta["header"]["OBJECT"] == "NGC 1" and meta["hdu"] == 0 and meta["origin"] == "lower"
    linear = read_image(path, stretch="linear", percentile=None).pixels[0, 0]
    np.testing.assert_allclose(linear, (data - data.min()) / (data.max() - data.min()), atol=1e-6)
    lo, hi = np.percentile(data, [0.5, 99.5])
    asinh = read_image(path).pixels[0, 0]  # default: asinh over (0.5, 99.5) percentiles
    expected = AsinhStretch(0.1)(np.clip((data - lo) / (hi - lo), 0, 1))
    np.testing.assert_allclose(asinh, expected, atol=1e-6)
    assert asinh.min() == 0.0 and asinh.max() == 1.0
    log = read_image(path, stretch="log").pixels[0, 0]
    assert log.shape == data.shape and 0 <= log.min() and log.max() <= 1
    # the asinh stretch lifts faint values above the linear ones (Lupton et al. 2004)
    mid = (np.clip((data - lo) / (hi - lo), 0, 1) > 0.05) & (data < hi)
    assert np.all(asinh[mid] > np.clip((data - lo) / (hi - lo), 0, 1)[mid])
    manual = read_image(path, stretch="linear", percentile=ManualInterval(9.0, 11.0))
    np.testing.assert_allclose(manual.pixels[0, 0], np.clip((data - 9) / 2, 0, 1), atol=1e-6)


def test_fits_cube_bands_nan_and_extension(tmp_path):
    cube = np.stack([np.full((6, 7), v) for v in (1.0, 2.0, 3.0)])
    cube[1, 0, 0] = np.nan
    cube[2, 0, 1] = np.inf
    hdul = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(cube)])
    for k, name in enumerate("gri", start=1):
        hdul[1].header[f"FILTER{k}"] = name
    hdul.writeto(tmp_path / "cube.fits")
    image = read_image(tmp_path / "cube.fits", stretch=None)
    assert image.band_names == ("g", "r", "i") and image.pixels.shape == (1, 3, 6, 7)
    assert image.meta[0]["hdu"] == 1
    assert np.isnan(image.pixels[0, 1, 0, 0]) and np.isnan(image.pixels[0, 2, 0, 1])
    stretched = read_image(tmp_path / "cube.fits")  # constant bands become 0, NaN kept
    assert np.nanmax(stretched.pixels) == 0.0 and np.isnan(stretched.pixels[0, 1, 0, 0])
    fits.PrimaryHDU(np.ones((1, 1, 4, 5))).writeto(tmp_path / "radio.fits")
    radio = read_image(tmp_path / "radio.fits", stretch=None)
    assert radio.pixels.shape == (1, 1, 4, 5) and radio.band_names == ("band0",)


def _bad_files(tmp_path, galaxy_zoo_paths):
    jpeg = Path(galaxy_zoo_paths[0]).read_bytes()
    files = {}
    files["truncated.jpeg"] = jpeg[: len(jpeg) // 2]
    files["random.jpeg"] = bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8))
    files["empty.png"] = b""
    files["header_only.jpeg"] = jpeg[:20]
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(
        [fits.Column("flux", "E", array=np.ones(3))])]).writeto(tmp_path / "table.fits")
    fits.PrimaryHDU(np.full((4, 4), np.nan)).writeto(tmp_path / "nan.fits")
    fits.PrimaryHDU(np.ones(10)).writeto(tmp_path / "spectrum.fits")
    fits.PrimaryHDU(np.ones((50, 50))).writeto(tmp_path / "big.fits")
    (tmp_path / "cut.fits").write_bytes((tmp_path / "big.fits").read_bytes()[:2880 + 100])
    (tmp_path / "folder.jpeg").mkdir()
    return {
        "truncated.jpeg": "truncated|broken data stream|image file",
        "random.jpeg": "not a JPEG, PNG or FITS",
        "empty.png": "the file is empty",
        "header_only.jpeg": "",
        "table.fits": "no HDU holds a 2-D image.*BinTableHDU",
        "nan.fits": "all pixel values of HDU 0 are NaN",
        "spectrum.fits": "no HDU holds a 2-D image",
        "cut.fits": "",
        "folder.jpeg": "it is a directory",
        "missing.jpeg": "no such file",
    }


def test_bad_files_raise_image_read_error_naming_the_file(tmp_path, galaxy_zoo_paths):
    for name, match in _bad_files(tmp_path, galaxy_zoo_paths).items():
        path = tmp_path / name
        with pytest.raises(ImageReadError, match=match or None) as info:
            read_image(path)
        assert info.value.path == str(path)
        assert repr(str(path)) in str(info.value)


def test_explicit_format_mismatch_is_a_read_error(galaxy_zoo_paths):
    with pytest.raises(ImageReadError, match="as format 'png'"):
        read_image(galaxy_zoo_paths[0], format="png")
    with pytest.raises(ImageReadError, match="as format 'fits'"):
        read_image(galaxy_zoo_paths[0], format="fits")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_and_device_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.jpeg"
    os.mkfifo(fifo)
    with pytest.raises(ImageReadError, match="FIFO"):
        read_image(fifo)  # would block forever if opened for a plain read
    if os.path.exists("/dev/null"):
        with pytest.raises(ImageReadError, match="device"):
            read_image("/dev/null")


def test_decompression_bomb_guard(tmp_path, galaxy_zoo_paths, monkeypatch):
    with pytest.raises(ImageReadError, match="423 x 423 = 178929 pixels.*decompression bomb"):
        read_image(galaxy_zoo_paths[0], max_pixels=100_000)
    fits.PrimaryHDU(np.ones((20, 20))).writeto(tmp_path / "f.fits")
    with pytest.raises(ImageReadError, match="20 x 20 = 400 pixels"):
        read_image(tmp_path / "f.fits", max_pixels=399)
    # Pillow's own guard (warning above MAX_IMAGE_PIXELS, error above twice that)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    with pytest.raises(ImageReadError, match="decompression bomb"):
        read_image(galaxy_zoo_paths[0], max_pixels=10**9)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50_000)
    with pytest.raises(ImageReadError, match="decompression bomb"):
        read_image(galaxy_zoo_paths[0], max_pixels=10**9)


def test_on_error_warn_and_skip(tmp_path, galaxy_zoo_paths):
    paths = [galaxy_zoo_paths[0], tmp_path / "missing.jpeg", galaxy_zoo_paths[1]]
    with pytest.warns(ImageReadWarning, match=r"(?s)1 of 3 files.*\[1\].*missing\.jpeg"):
        batch = read_images(paths, on_error="warn")
    assert [m["source"] for m in batch.meta] == [galaxy_zoo_paths[0], galaxy_zoo_paths[1]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch, failures = read_images(paths, on_error="skip", return_failures=True)
    assert len(batch) == 2 and [f.index for f in failures] == [1]
    with pytest.raises(ImageReadError, match="missing"):
        read_images(paths)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"stretch": "gamma"}, ValueError, "'stretch' parameter"),
        ({"percentile": (99, 1)}, ValueError, "'percentile' parameter"),
        ({"percentile": "wide"}, ValueError, "'percentile' parameter"),
        ({"format": "gif"}, ValueError, "'format' parameter"),
        ({"mode": "CMYK"}, ValueError, "'mode' parameter"),
    ],
)
def test_bad_options(galaxy_zoo_paths, kwargs, error, match):
    with pytest.raises(error, match=match):
        read_image(galaxy_zoo_paths[0], **kwargs)


def test_call_mistakes_are_not_read_errors():
    with pytest.raises(TypeError, match="single path"):
        read_images("x.jpeg")
    with pytest.raises(TypeError, match="needs a path"):
        read_image(3)
