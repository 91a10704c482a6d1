"""Batches with bad files: on_error="raise"/"warn"/"skip", placeholders, progress, safety net."""

import warnings
import zlib

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from spectra_sklearn.io import (
    ReadFailure,
    SpectrumReader,
    SpectrumReadError,
    SpectrumReadWarning,
    _registry,
    read_spectra,
    read_spectrum,
)
from spectra_sklearn.io._registry import register_format


@pytest.fixture
def mixed_paths(shared_data, tmp_path):
    """Four real SpeX files with a truncated one and a missing one among them."""
    folder = shared_data / "spex_prism" / "spectra"
    good = sorted(folder.glob("*.fits.gz"))[:4]
    broken = tmp_path / "broken.fits.gz"
    broken.write_bytes(good[0].read_bytes()[:300])
    missing = tmp_path / "missing.fits.gz"
    return [good[0], broken, good[1], missing, good[2], good[3]], good


def test_raise_is_the_default(mixed_paths):
    paths, _ = mixed_paths
    with pytest.raises(SpectrumReadError, match=r"broken\.fits\.gz"):
        read_spectra(paths, format="spex")


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_skip_drops_the_bad_files_and_reports_them(mixed_paths, n_jobs):
    paths, good = mixed_paths
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "skip" is silent
        batch, failures = read_spectra(paths, format="spex", n_jobs=n_jobs, on_error="skip",
                                       return_failures=True)
    assert [m["source"] for m in batch.meta] == [str(p) for p in good]
    assert [(f.index, f.format) for f in failures] == [(1, "spex"), (3, "spex")]
    assert all(isinstance(f, ReadFailure) for f in failures)
    assert failures[0].path == str(paths[1]) and "truncated or corrupt" in failures[0].reason
    assert failures[1].path == str(paths[3]) and "no such file" in failures[1].reason


def test_warn_names_every_skipped_file(mixed_paths):
    paths, good = mixed_paths
    with pytest.warns(SpectrumReadWarning, match=r"(?s)2 of 6 files.*broken\.fits\.gz.*missing"):
        batch = read_spectra(paths, format="spex", on_error="warn")
    assert len(batch) == len(good)


def test_no_failures_gives_an_empty_report(mixed_paths):
    _, good = mixed_paths
    batch, failures = read_spectra(good, on_error="skip", return_failures=True)
    assert len(batch) == 4 and failures == []


def test_reader_keeps_rows_aligned_with_placeholders(mixed_paths):
    paths, good = mixed_paths
    with pytest.warns(SpectrumReadWarning, match="placeholders"):
        batch = SpectrumReader(format="spex", on_error="warn").fit_transform(paths)
    assert len(batch) == len(paths)
    errors = [m.get("read_error") for m in batch.meta]
    assert [e is not None for e in errors] == [False, True, False, True, False, False]
    assert "broken.fits.gz" in errors[1] and "no such file" in errors[3]
    placeholder, first = batch[1], batch[0]
    assert placeholder.mask.all() and np.isnan(placeholder.flux).all()
    assert (placeholder.ivar == 0).all()
    np.testing.assert_array_equal(placeholder.wavelength, first.wavelength)
    assert placeholder.flux_unit == first.flux_unit
    assert batch.meta[3]["source"] == str(paths[3])
    # the readable ones are exactly what read_spectrum gives
    np.testing.assert_array_equal(batch[2].flux, read_spectrum(good[1]).flux)


def test_reader_skip_is_silent_and_works_in_a_pipeline(mixed_paths):
    paths, _ = mixed_paths

    def n_good(batch):
        return np.array([[np.count_nonzero(~s.mask)] for s in batch])

    pipe = make_pipeline(SpectrumReader(format="spex", on_error="skip"),
                         FunctionTransformer(n_good))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts = pipe.fit_transform(paths)[:, 0]
    assert counts.shape == (6,)
    assert counts[1] == counts[3] == 0 and (counts[[0, 2, 4, 5]] > 100).all()


def test_reader_all_files_failing_gives_one_pixel_placeholders(tmp_path):
    batch = SpectrumReader(on_error="skip").transform([tmp_path / "a.fits", tmp_path / "b.fits"])
    assert batch.shape == (2, 1) and batch.mask.all()
    assert str(batch.wavelength_unit) == "pix"


def test_reader_with_raise_still_raises(mixed_paths):
    with pytest.raises(SpectrumReadError, match="broken"):
        SpectrumReader(format="spex").transform(mixed_paths[0])


def test_reader_does_not_store_state(mixed_paths):
    reader = SpectrumReader(format="spex", on_error="skip")
    before = dict(vars(reader))
    reader.transform(mixed_paths[0])
    assert vars(reader) == before


@pytest.mark.parametrize("kwargs, match", [
    ({"on_error": "ignore"}, "on_error must be one of"),
    ({"progress": "yes"}, "progress must be None, True or False"),
])
def test_bad_batch_options(mixed_paths, kwargs, match):
    with pytest.raises(ValueError, match=match):
        read_spectra(mixed_paths[1], **kwargs)


def test_reader_validates_on_error():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'on_error' parameter"):
        SpectrumReader(on_error="ignore").fit(["x"])


def test_progress_bar_when_asked(mixed_paths, capsys):
    _, good = mixed_paths
    read_spectra(good, progress=True)
    assert "reading spectra" in capsys.readouterr().err
    read_spectra(good, progress=False)
    read_spectra(good)  # auto: not a terminal here, so no bar
    assert capsys.readouterr().err == ""


def test_unknown_format_raises_even_when_skipping(mixed_paths):
    with pytest.raises(SpectrumReadError, match="unknown format 'nope'"):
        read_spectra(mixed_paths[1], format="nope", on_error="skip")


def test_bad_option_is_a_type_error_not_a_skipped_file(mixed_paths):
    with pytest.raises(TypeError, match="does not take the options"):
        read_spectra(mixed_paths[1], format="spex", on_error="skip", colour="red")


@pytest.fixture
def fragile_format():
    """A reader that fails with a library error (as astropy, numpy or zlib would)."""
    def read(path, kind="key"):
        if kind == "key":
            return {}["CRVAL1"]
        if kind == "type":
            return np.ones(3) + "s"
        return zlib.decompress(b"not a zlib stream")

    register_format("fragile-test", identify=lambda p, h: False, read=read)
    yield "fragile-test"
    _registry._FORMATS.pop("fragile-test", None)


@pytest.mark.parametrize("kind, cause", [("key", KeyError), ("type", TypeError),
                                          ("zlib", zlib.error)])
def test_library_errors_inside_a_reader_become_read_errors(fragile_format, tmp_path, kind,
                                                           cause):
    path = tmp_path / "x.dat"
    path.write_text("x")
    with pytest.raises(SpectrumReadError, match=r"x\.dat.*fragile-test") as info:
        read_spectrum(path, format=fragile_format, kind=kind)
    assert isinstance(info.value.__cause__, cause)
    # and with on_error="skip" such a file is reported, not fatal
    batch, failures = read_spectra([path], format=fragile_format, on_error="skip",
                                   return_failures=True, kind=kind)
    assert len(batch) == 0 and len(failures) == 1


@pytest.fixture
def greedy_format():
    """A reader that runs out of memory on the files named ``*huge*`` (as numpy would
    when a file asks for more than there is) and reads the others."""
    def read(path):
        if "huge" in path.name:
            raise MemoryError("Unable to allocate 10.9 TiB for an array")
        return read_spectrum(path, format="smass")

    register_format("greedy-test", identify=lambda p, h: False, read=read)
    yield "greedy-test"
    _registry._FORMATS.pop("greedy-test", None)


@pytest.mark.parametrize("on_error", ["skip", "warn"])
def test_a_memory_error_skips_that_file_not_the_batch(greedy_format, tmp_path, on_error):
    """A MemoryError from one file is that file's reading error (before: it aborted
    the whole batch with a raw MemoryError)."""
    paths = []
    for name in ["a000001.[2]", "huge.[2]", "a000002.[2]"]:
        paths.append(tmp_path / name)
        paths[-1].write_text("0.435 0.90 0.015\n0.4375 0.92 0.013\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch, failures = read_spectra(paths, format=greedy_format, on_error=on_error,
                                       return_failures=True)
    assert len(batch) == 2 and [f.index for f in failures] == [1]
    assert "huge.[2]" in failures[0].reason and "not enough memory" in failures[0].reason
    warned = [w for w in caught if issubclass(w.category, SpectrumReadWarning)]
    assert len(warned) == (on_error == "warn")
    with pytest.raises(SpectrumReadError, match=r"huge\.\[2\].*MemoryError") as info:
        read_spectrum(paths[1], format=greedy_format)
    assert isinstance(info.value.__cause__, MemoryError)
