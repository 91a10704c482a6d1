"""fetch_sdss_spectra against a local HTTP server serving the real DR18 files."""

import shutil
import threading
import time
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given
from hypothesis import strategies as st

from spectra_sklearn.datasets import (
    DownloadError,
    RemoteFileNotFoundError,
    fetch_sdss_spectra,
    parse_sdss_ids,
)
from spectra_sklearn.datasets._download import InvalidFileError

# PROVENANCE.md of sdss_spectra: file -> PLATE-MJD-FIBERID
REAL = {
    "NGC3073_SDSS_DR18.fits": (945, 52652, 470),
    "NGC3522_SDSS_DR18.fits": (2488, 54149, 1),
}
LEGACY = "spectro/sdss/redux/26/spectra/lite"


def _sas_path(plate, mjd, fiber):
    return f"{LEGACY}/{plate:04d}/spec-{plate:04d}-{mjd:05d}-{fiber:04d}.fits"


@contextmanager
def serve(directory, *, stall=0.0):
    """Serve ``directory`` on 127.0.0.1; yield (base URL, requested paths)."""
    requests = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            if stall:
                time.sleep(stall)
            return super().do_GET()

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # the client hanging up on a stalled answer (time-out test)

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def sas(shared_data, tmp_path):
    """A folder laid out like the DR18 SAS holding the two real files."""
    root = tmp_path / "sas"
    for name, ids in REAL.items():
        dest = root / _sas_path(*ids)
        dest.parent.mkdir(parents=True)
        shutil.copyfile(shared_data / "sdss_spectra" / name, dest)
    return root


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*")
                  if p.is_file())


def test_fetches_verifies_and_reads_the_specobj_meta(sas, shared_data, tmp_path):
    home = tmp_path / "home"
    with serve(sas) as (url, requests):
        sdss = fetch_sdss_spectra(["945-52652-470", (2488, 54149, 1)], data_home=home,
                                  base_url=url, progress=False)
    assert sorted(requests) == sorted("/" + _sas_path(*ids) for ids in REAL.values())
    assert _files(home) == [
        "sdss_spectra/lite/spec-0945-52652-0470.fits",
        "sdss_spectra/lite/spec-2488-54149-0001.fits",
    ]
    assert sdss.frame["PLATE"].tolist() == [945, 2488]
    assert sdss.frame["FIBERID"].tolist() == [470, 1]
    for name, spectrum, path in zip(REAL, sdss.data, sdss.filenames):
        original = shared_data / "sdss_spectra" / name
        assert Path(path).read_bytes() == original.read_bytes()
        with fits.open(original) as hdul:
            row = hdul["SPECOBJ"].data[0]
            assert spectrum.meta["z"] == float(row["Z"])
            assert spectrum.meta["z_err"] == float(row["Z_ERR"])
            assert spectrum.meta["sn_median_all"] == float(row["SN_MEDIAN_ALL"])
            assert spectrum.meta["class"] == row["CLASS"].strip()
            assert spectrum.meta["subclass"] == row["SUBCLASS"].strip()
            for band, flux in zip("ugriz", row["SPECTROFLUX"]):
                assert spectrum.meta[f"spectromag_{band}"] == pytest.approx(
                    22.5 - 2.5 * np.log10(flux))
    assert sdss.target_class.tolist() == ["STAR", "GALAXY"]
    assert sdss.target.tolist() == ["A0", "BROADLINE"]
    np.testing.assert_array_equal(sdss.frame["z"], [s.meta["z"] for s in sdss.data])
    assert "Almeida" in sdss.DESCR


def test_present_files_are_not_downloaded_again(sas, tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    home = tmp_path / "home"
    table = pd.DataFrame({"plate": [2488, 945, 2488], "mjd": [54149, 52652, 54149],
                          "fiberID": [1, 470, 1]})
    with serve(sas) as (url, requests):
        first = fetch_sdss_spectra(table, data_home=home, base_url=url, n_jobs=2)
        assert len(requests) == 2  # the repeated row is fetched once
        assert "SDSS spectra" in capsys.readouterr().err  # the progress bar
        before = {p: p.stat().st_mtime_ns for p in home.rglob("*.fits")}
        again = fetch_sdss_spectra(table, data_home=home, base_url=url, as_frame=True)
        assert len(requests) == 2
    assert {p: p.stat().st_mtime_ns for p in home.rglob("*.fits")} == before
    assert again.frame["PLATE"].tolist() == [2488, 945, 2488]
    assert first.filenames.tolist() == again.filenames.tolist()


def test_the_data_home_copies_are_found_by_their_header(shared_data):
    sdss = fetch_sdss_spectra(list(REAL.values()), data_home=shared_data,
                              download_if_missing=False, progress=False)
    assert [Path(f).name for f in sdss.filenames] == list(REAL)


def test_html_served_with_200_is_refused_and_not_stored(sas, tmp_path):
    bad = sas / _sas_path(*REAL["NGC3522_SDSS_DR18.fits"])
    bad.write_bytes(b"<!DOCTYPE html><html><body>Please log in</body></html>")
    home = tmp_path / "home"
    with serve(sas) as (url, _):
        with pytest.raises(InvalidFileError, match=r"1 of the 2 .*2488-54149-1.*<!DOCTYPE html.*"
                                                   r"not the SDSS spec file"):
            fetch_sdss_spectra(["945-52652-470", "2488-54149-1"], data_home=home,
                               base_url=url, progress=False, n_retries=0)
    # the good file is kept, nothing of the bad one (no temporary file either)
    assert _files(home) == ["sdss_spectra/lite/spec-0945-52652-0470.fits"]


def test_a_fits_file_of_another_spectrum_is_refused(sas, tmp_path):
    other = sas / _sas_path(*REAL["NGC3073_SDSS_DR18.fits"])
    shutil.copyfile(sas / _sas_path(*REAL["NGC3522_SDSS_DR18.fits"]), other)
    with serve(sas) as (url, _):
        with pytest.raises(InvalidFileError, match="sent the spectrum 2488-54149-1"):
            fetch_sdss_spectra(["945-52652-470"], data_home=tmp_path / "home",
                               base_url=url, progress=False)
    assert _files(tmp_path / "home") == []


def test_missing_on_the_server_names_the_spectrum(sas, tmp_path):
    with serve(sas) as (url, requests):
        with pytest.raises(RemoteFileNotFoundError, match="1 of the 2 .*945-52652-471"):
            fetch_sdss_spectra(["945-52652-471", "945-52652-470"],
                               data_home=tmp_path / "home", base_url=url, progress=False)
    # all four reductions were tried for the absent one
    assert sum("0945-52652-0471" in r for r in requests) == 4
    assert _files(tmp_path / "home") == ["sdss_spectra/lite/spec-0945-52652-0470.fits"]


def test_total_time_is_bounded(sas, tmp_path):
    home = tmp_path / "home"
    start = time.monotonic()
    with serve(sas, stall=3.0) as (url, _):
        with pytest.raises(DownloadError, match="945-52652-470"):
            fetch_sdss_spectra(["945-52652-470"], data_home=home, base_url=url,
                               timeout=0.5, progress=False, delay=0.0)
        elapsed = time.monotonic() - start
    assert elapsed < 2.5
    assert _files(home) == []


def test_download_if_missing_false(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"2 of the 2 .*945-52652-470"):
        fetch_sdss_spectra(["945-52652-470", "2488-54149-1"], data_home=tmp_path,
                           download_if_missing=False)


def test_parse_ids():
    assert parse_sdss_ids(["spec-0945-52652-0470.fits", "2488-54149-1"]) == [
        (945, 52652, 470), (2488, 54149, 1)]
    table = np.array([(945, 52652, 470)],
                     dtype=[("PLATE", int), ("MJD", int), ("FIBERID", int)])
    assert parse_sdss_ids(table) == [(945, 52652, 470)]
    assert parse_sdss_ids({"plate": [1], "mjd": [2], "fiber": [3]}) == [(1, 2, 3)]
    for bad, match in [
        (["945-52652"], "row 0 is '945-52652'"),
        ([(945, 52652)], "row 0 is .*three integers"),
        ([(945, 52652.5, 1)], "three integers"),
        ([(945, 0, 1)], "positive integers"),
        ({"plate": [1], "mjd": [2]}, "no FIBERID column"),
        ([], "no rows"),
        (42, "got int"),
    ]:
        with pytest.raises(ValueError, match=match):
            parse_sdss_ids(bad)


def test_fetched_spectra_feed_the_flux_metadata_union(sas, tmp_path):
    from sklearn.pipeline import make_pipeline

    from spectra_sklearn.preprocessing import (
        MetadataFeatures,
        SpectralResampler,
        make_flux_metadata_union,
    )

    with serve(sas) as (url, _):
        sdss = fetch_sdss_spectra(list(REAL.values()), data_home=tmp_path / "home",
                                  base_url=url, progress=False)
    steps = make_pipeline(
        SpectralResampler(wavelength_grid=np.linspace(4000.0, 9000.0, 50),
                          wavelength_unit="Angstrom"),
        make_flux_metadata_union(MetadataFeatures(
            ["z", "sn_median_all"], colours=["spectromag_g-spectromag_r"],
            missing="raise")),
    )
    out = steps.fit_transform(sdss.data)
    assert out.shape == (2, 53)
    for row, spectrum in zip(out, sdss.data):
        assert row[50] == spectrum.meta["z"]
        assert row[51] == spectrum.meta["sn_median_all"]
        assert row[52] == pytest.approx(
            spectrum.meta["spectromag_g"] - spectrum.meta["spectromag_r"])


@given(st.lists(st.tuples(st.integers(1, 99999), st.integers(1, 99999),
                          st.integers(1, 9999)), min_size=1, max_size=5),
       st.sampled_from(["text", "spec", "tuple"]))
def test_parse_ids_round_trip(ids, form):
    if form == "text":
        rows = [f"{p}-{m}-{f}" for p, m, f in ids]
    elif form == "spec":
        rows = [f"spec-{p:04d}-{m:05d}-{f:04d}.fits" for p, m, f in ids]
    else:
        rows = [tuple(np.int64(v) for v in i) for i in ids]
    assert parse_sdss_ids(rows) == ids


def test_fetched_spectra_through_a_fitted_fusion_pipeline(sas, tmp_path):
    # files -> fetch -> SPECOBJ meta -> [flux | catalogue] -> fusion net -> predictions
    pytest.importorskip("torch")
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    from spectra_sklearn.nn import SpectrumFusionClassifier
    from spectra_sklearn.preprocessing import (
        FluxScaler,
        MetadataFeatures,
        SpectralResampler,
        make_flux_metadata_union,
    )

    with serve(sas) as (url, _):
        sdss = fetch_sdss_spectra(list(REAL.values()), data_home=tmp_path / "home",
                                  base_url=url, progress=False)
    catalogue = MetadataFeatures(["z", "sn_median_all", "spectromag_r"],
                                 colours=["spectromag_g-spectromag_r"])
    pipe = make_pipeline(
        SpectralResampler(wavelength_grid=np.linspace(4000.0, 9000.0, 32),
                          wavelength_unit="Angstrom"),
        FluxScaler(),
        make_flux_metadata_union(catalogue),
        SimpleImputer(),
        SpectrumFusionClassifier(n_tabular_features=4, max_epochs=2, random_state=0,
                                 n_filters=4, n_blocks=2, pooled_length=4, embed_dim=16,
                                 n_heads=2, tabular_hidden_size=16, batch_size=2),
    )
    pipe.fit(sdss.data, sdss.target_class)
    proba = pipe.predict_proba(sdss.data)
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(pipe.predict(sdss.data)) <= {"STAR", "GALAXY"}
