"""Downloads into the data home, against a local HTTP server (never the network)."""

import hashlib
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from _http import serve
from _origins import spex_origin

from spectra_sklearn.datasets import (
    ChecksumError,
    DownloadError,
    RemoteFileNotFoundError,
    _smass2,
    _spex,
    fetch_smass2,
    fetch_spex_prism,
)
from spectra_sklearn.datasets._download import RemoteFile, fetch_file


def _closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _tree(folder):
    """Every file under ``folder`` (hidden ones too) with its bytes' hash and mtime."""
    return {
        p.relative_to(folder).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def payload(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    body = bytes(range(256)) * 40
    (folder / "file.bin").write_bytes(body)
    return folder, body


# --- fetch_file -------------------------------------------------------------


def test_fetch_file_downloads_and_checks_sha256(payload, tmp_path):
    folder, body = payload
    home = tmp_path / "home"
    with serve(folder) as (url, requests):
        remote = RemoteFile(url + "file.bin", "sub/dir/file.bin", hashlib.sha256(body).hexdigest())
        path = fetch_file(remote, home, delay=0)
    assert path == home / "sub" / "dir" / "file.bin"
    assert path.read_bytes() == body
    assert requests == ["/file.bin"]
    assert _tree(home).keys() == {"sub/dir/file.bin"}  # no temporary file left


def test_checksum_mismatch_leaves_nothing_and_is_not_retried(payload, tmp_path):
    folder, body = payload
    home = tmp_path / "home"
    with serve(folder) as (url, requests):
        remote = RemoteFile(url + "file.bin", "a/file.bin", hashlib.sha256(b"other").hexdigest())
        with pytest.raises(ChecksumError, match="SHA-256") as info:
            fetch_file(remote, home, n_retries=3, delay=0)
    assert url + "file.bin" in str(info.value)
    assert requests == ["/file.bin"]
    assert _tree(home) == {}


def test_truncated_download_is_retried_then_fails_leaving_nothing(payload, tmp_path):
    folder, _ = payload
    home = tmp_path / "home"
    with serve(folder, truncate_by=100) as (url, requests):
        remote = RemoteFile(url + "file.bin", "file.bin")
        with pytest.raises(DownloadError, match="truncated") as info:
            fetch_file(remote, home, n_retries=2, delay=0)
    assert len(requests) == 3  # first attempt + 2 retries
    assert "after 3 attempt(s)" in str(info.value)
    assert str(home) in str(info.value)
    assert _tree(home) == {}


def test_404_is_a_clear_error_without_retries(payload, tmp_path):
    folder, _ = payload
    home = tmp_path / "home"
    with serve(folder) as (url, requests):
        remote = RemoteFile(url + "missing.bin", "missing.bin")
        with pytest.raises(RemoteFileNotFoundError, match="HTTP 404") as info:
            fetch_file(remote, home, n_retries=5, delay=0)
    assert url + "missing.bin" in str(info.value)
    assert requests == ["/missing.bin"]
    assert _tree(home) == {}


def test_offline_error_names_url_and_data_home(tmp_path):
    url = _closed_port_url() + "file.bin"
    with pytest.raises(DownloadError, match="Could not download") as info:
        fetch_file(RemoteFile(url, "x/file.bin"), tmp_path / "home", n_retries=1, delay=0)
    message = str(info.value)
    assert url in message and str(tmp_path / "home") in message
    assert "after 2 attempt(s)" in message
    assert not (tmp_path / "home" / "x" / "file.bin").exists()


def test_missing_file_without_download_names_file_and_remedy(tmp_path):
    remote = RemoteFile("http://127.0.0.1:9/never.bin", "dataset/never.bin")
    with pytest.raises(FileNotFoundError, match="dataset/never.bin") as info:
        fetch_file(remote, tmp_path, download_if_missing=False, fetcher="fetch_x")
    assert "fetch_x" in str(info.value) and "download_if_missing=True" in str(info.value)
    assert isinstance(info.value, OSError)


def test_existing_file_is_neither_downloaded_nor_touched(payload, tmp_path):
    folder, body = payload
    home = tmp_path / "home"
    (home / "a").mkdir(parents=True)
    existing = home / "a" / "file.bin"
    existing.write_bytes(b"local copy")
    os.utime(existing, ns=(1_000_000_000, 1_000_000_000))
    before = _tree(home)
    with serve(folder) as (url, requests):
        # even with a checksum the local copy does not match: it is not checked
        remote = RemoteFile(url + "file.bin", "a/file.bin", hashlib.sha256(body).hexdigest())
        assert fetch_file(remote, home) == existing
    assert requests == []
    assert _tree(home) == before


def test_remote_path_must_stay_inside_the_data_home(tmp_path):
    with pytest.raises(ValueError, match="relative to the data home"):
        RemoteFile("http://x/y", "../escape.bin").local_path(tmp_path)


# --- fetch_smass2 downloads ---------------------------------------------------


def test_fetch_smass2_into_empty_data_home(shared_data, tmp_path, monkeypatch):
    home = tmp_path / "home"
    with serve(shared_data) as (url, requests):
        monkeypatch.setattr(_smass2, "BASE_URL", url + "smass2/")
        smass = fetch_smass2(data_home=home, delay=0)
        assert sorted(requests) == ["/smass2/Bus.Taxonomy.txt", "/smass2/smass2data.tar.gz"]
        # a second call reads the local copies: no request, nothing modified
        before = _tree(home)
        again = fetch_smass2(data_home=home, delay=0, return_X_y=True)
        assert len(requests) == 2
        assert _tree(home) == before
    assert len(smass.data) == 1341 and len(again[0]) == 1341
    assert _tree(home).keys() == {"smass2/Bus.Taxonomy.txt", "smass2/smass2data.tar.gz"}
    for name in ("Bus.Taxonomy.txt", "smass2data.tar.gz"):
        assert (home / "smass2" / name).read_bytes() == (
            shared_data / "smass2" / name
        ).read_bytes()


def test_fetch_smass2_rejects_a_modified_origin_copy(shared_data, tmp_path, monkeypatch):
    served = tmp_path / "served" / "smass2"
    served.mkdir(parents=True)
    shutil.copyfile(shared_data / "smass2" / "smass2data.tar.gz", served / "smass2data.tar.gz")
    text = (shared_data / "smass2" / "Bus.Taxonomy.txt").read_bytes()
    (served / "Bus.Taxonomy.txt").write_bytes(text.replace(b"1 Ceres", b"1 CERES", 1))
    home = tmp_path / "home"
    with serve(served.parent) as (url, requests):
        monkeypatch.setattr(_smass2, "BASE_URL", url + "smass2/")
        with pytest.raises(ChecksumError, match="0ce970a6"):
            fetch_smass2(data_home=home, delay=0)
    assert requests == ["/smass2/Bus.Taxonomy.txt"]
    assert _tree(home) == {}


def test_fetch_smass2_does_not_download_what_the_data_home_has(shared_data, monkeypatch):
    before = _tree(shared_data / "smass2")
    monkeypatch.setattr(_smass2, "BASE_URL", _closed_port_url())
    smass = fetch_smass2(data_home=shared_data, n_retries=0)
    assert len(smass.target) == 1341
    assert _tree(shared_data / "smass2") == before


def test_fetch_smass2_offline_and_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(_smass2, "BASE_URL", _closed_port_url())
    with pytest.raises(DownloadError, match="Bus.Taxonomy.txt") as info:
        fetch_smass2(data_home=tmp_path, n_retries=1, delay=0)
    assert str(tmp_path) in str(info.value)
    with pytest.raises(FileNotFoundError, match="smass2/Bus.Taxonomy.txt"):
        fetch_smass2(data_home=tmp_path, download_if_missing=False)
    assert _tree(tmp_path) == {}


# --- fetch_spex_prism downloads -----------------------------------------------


def test_fetch_spex_prism_downloads_only_missing_files(shared_data, tmp_path, monkeypatch):
    files, absent = spex_origin(shared_data, tmp_path / "served", absent=0,
                                 monkeypatch=monkeypatch)
    home = tmp_path / "home"
    with serve(tmp_path / "served") as (url, requests):
        monkeypatch.setattr(_spex, "BASE_URL", url)
        spex = fetch_spex_prism(data_home=home, delay=0, n_jobs=2)  # threads download
        assert sorted(requests) == sorted(
            ["/spectral_data.txt", "/sources.csv"] + [f"/{f}" for f in files])
        before = _tree(home)
        again = fetch_spex_prism(data_home=home, download_if_missing=False)
        assert len(requests) == 2 + len(files)
        assert _tree(home) == before
    assert sorted(spex.target_class.tolist()) == ["L", "M", "T"]
    assert np.array_equal(again.target, spex.target)
    for name in files:
        assert (home / "spex_prism" / "spectra" / name).read_bytes() == (
            shared_data / "spex_prism" / "spectra" / name
        ).read_bytes()
    assert (home / "spex_prism" / "metadata" / "spectral_data.txt").is_file()
    assert (home / "spex_prism" / "metadata" / "sources.csv").read_bytes() == (
        shared_data / "spex_prism" / "metadata" / "sources.csv").read_bytes()
    assert np.isfinite(spex.frame["J_2MASS"]).any()


def test_fetch_spex_prism_leaves_out_spectra_the_origin_lacks(shared_data, tmp_path, monkeypatch):
    files, absent = spex_origin(shared_data, tmp_path / "served", absent=2,
                                 monkeypatch=monkeypatch)
    home = tmp_path / "home"
    with serve(tmp_path / "served") as (url, requests):
        monkeypatch.setattr(_spex, "BASE_URL", url)
        with pytest.warns(UserWarning, match="2 spectra listed in spectral_data.txt") as rec:
            spex = fetch_spex_prism(
                data_home=home, delay=0, include_unlabelled=True, quality=None
            )
        assert rec[0].filename == __file__
        # each absent file was asked for once (no retry storm on 404)
        assert sorted(p for p in requests if p[1:] in absent) == sorted(f"/{a}" for a in absent)
    assert sorted(Path(f).name for f in spex.filenames) == sorted(files)
    with pytest.raises(FileNotFoundError, match="2 of the 5 selected SpeX spectra are missing"):
        fetch_spex_prism(
            data_home=home, include_unlabelled=True, quality=None, download_if_missing=False
        )


def test_fetch_spex_prism_missing_metadata_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="spex_prism/metadata/spectral_data.txt"):
        fetch_spex_prism(data_home=tmp_path, download_if_missing=False)
    assert _tree(tmp_path) == {}


# --- the other origins: GitHub at fixed commits, SDSS SAS, CASSIS, ISO atlas ---

from spectra_sklearn.datasets import (  # noqa: E402  # noqa: E402
    _cassis,
    _download,
    _iso_sws,
    _sdss,
    fetch_cassis,
    fetch_demeo2009,
    fetch_iso_sws,
    fetch_mahlke2022,
    fetch_sdss_spectrum,
    fetch_sdss_templates,
    fetch_spitzer_irs_sets,
)
from spectra_sklearn.datasets._asteroid_tables import _COMMIT as CLASSY_COMMIT  # noqa: E402
from spectra_sklearn.datasets._cassis import _CAST_COMMIT  # noqa: E402
from spectra_sklearn.datasets._iso_sws import _LABELS_COMMIT, _LABELS_PATH  # noqa: E402
from spectra_sklearn.datasets._sdss_templates import _COMMIT as IDLSPEC2D_COMMIT  # noqa: E402


def _mirror(folder, files):
    """Lay out ``{url path: source file}`` under ``folder`` (a local origin)."""
    for url_path, source in files.items():
        dest = folder / url_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            dest.write_bytes(source)
        else:
            shutil.copyfile(source, dest)
    return folder


def _classy(shared_data, folder, demeo_bytes=None):
    demeo = shared_data / "demeo2009" / "demeo2009_splined_spectra.csv"
    base = f"maxmahlke/classy/{CLASSY_COMMIT}/"
    csvs = shared_data / "mahlke2022" / "csv"
    return _mirror(folder, {
        base + "tests/data/demeo2009_splined_spectra.csv": demeo_bytes or demeo,
        base + "data/mahlke2022/csv/class_visnir.csv": csvs / "class_visnir.csv",
        base + "data/mahlke2022/csv/reference_spectra.csv": csvs / "reference_spectra.csv",
    })  # fmt: skip


def test_github_origin_download_then_local_reads(shared_data, tmp_path, monkeypatch):
    served = _classy(shared_data, tmp_path / "served")
    home = tmp_path / "home"
    with serve(served) as (url, requests):
        monkeypatch.setattr(_download, "GITHUB_RAW_URL", url)
        demeo = fetch_demeo2009(data_home=home, delay=0)
        mahlke = fetch_mahlke2022(data_home=home, delay=0, return_X_y=True)
        assert len(requests) == 3
        before = _tree(home)
        fetch_demeo2009(data_home=home, download_if_missing=False)
        fetch_mahlke2022(data_home=home, return_X_y=True)
        assert len(requests) == 3 and _tree(home) == before
    assert len(demeo.data) == len(fetch_demeo2009(data_home=shared_data).data)
    assert len(mahlke[0]) == len(fetch_mahlke2022(data_home=shared_data, return_X_y=True)[0])
    assert _tree(home).keys() == {
        "demeo2009/demeo2009_splined_spectra.csv",
        "mahlke2022/csv/class_visnir.csv",
        "mahlke2022/csv/reference_spectra.csv",
    }


def test_github_origin_checksum_mismatch_leaves_nothing(shared_data, tmp_path, monkeypatch):
    original = (shared_data / "demeo2009" / "demeo2009_splined_spectra.csv").read_bytes()
    served = _classy(shared_data, tmp_path / "served", original.replace(b"Ceres", b"CERES"))
    home = tmp_path / "home"
    with serve(served) as (url, requests):
        monkeypatch.setattr(_download, "GITHUB_RAW_URL", url)
        with pytest.raises(ChecksumError, match="99d9445b"):
            fetch_demeo2009(data_home=home, delay=0)
    assert len(requests) == 1 and _tree(home) == {}


def test_github_origin_truncated_download_leaves_nothing(shared_data, tmp_path, monkeypatch):
    served = _classy(shared_data, tmp_path / "served")
    home = tmp_path / "home"
    with serve(served, truncate_by=10) as (url, requests):
        monkeypatch.setattr(_download, "GITHUB_RAW_URL", url)
        with pytest.raises(DownloadError, match="truncated"):
            fetch_demeo2009(data_home=home, n_retries=1, delay=0)
    assert len(requests) == 2 and _tree(home) == {}


def test_github_origin_404_and_offline(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    with serve(tmp_path / "empty") as (url, _):
        monkeypatch.setattr(_download, "GITHUB_RAW_URL", url)
        with pytest.raises(RemoteFileNotFoundError, match="HTTP 404"):
            fetch_mahlke2022(data_home=tmp_path / "home", delay=0)
    monkeypatch.setattr(_download, "GITHUB_RAW_URL", _closed_port_url())
    with pytest.raises(DownloadError, match="Could not download .*class_visnir.csv") as info:
        fetch_mahlke2022(data_home=tmp_path / "home", n_retries=0)
    assert str(tmp_path / "home") in str(info.value)
    assert _tree(tmp_path / "home") == {}


def test_label_tables_of_the_partial_sets_download(shared_data, tmp_path, monkeypatch):
    labels = shared_data / "cassis_irs" / "cast_labels"
    served = _mirror(tmp_path / "served", {
        **{
            f"CAST-Computer-Science/stellar_classification/{_CAST_COMMIT}/aor_files/{p.name}": p
            for p in labels.glob("*.csv")
        },
        f"mattjshannon/swsnet/{_LABELS_COMMIT}/{_LABELS_PATH}kraemer_class_fixed.csv":
            shared_data / "iso_sws" / "labels" / "kraemer_class_fixed.csv",
    })  # fmt: skip
    home = tmp_path / "home"
    with serve(served) as (url, requests):
        monkeypatch.setattr(_download, "GITHUB_RAW_URL", url)
        irs = fetch_spitzer_irs_sets(data_home=home, load_spectra=False, delay=0)
        iso = fetch_iso_sws(data_home=home, load_spectra=False, delay=0)
    assert len(requests) == 5
    assert len(irs.target) == len(
        fetch_spitzer_irs_sets(data_home=shared_data, load_spectra=False).target
    )
    assert len(iso.target) == len(fetch_iso_sws(data_home=shared_data, load_spectra=False).target)


def test_sdss_templates_checksum_checked(shared_data, tmp_path, monkeypatch):
    template = shared_data / "sdss_templates" / "templates" / "spEigenStar-53724.fits"
    served = _mirror(tmp_path / "served", {
        f"sdss/idlspec2d/{IDLSPEC2D_COMMIT}/templates/spEigenStar-55734.fits": template,
    })  # fmt: skip  (the wrong file under the right name)
    with serve(served) as (url, requests):
        monkeypatch.setattr(_download, "GITHUB_RAW_URL", url)
        with pytest.raises(ChecksumError, match="9fe59628"):
            fetch_sdss_templates(data_home=tmp_path / "home", delay=0)
    assert requests == [f"/sdss/idlspec2d/{IDLSPEC2D_COMMIT}/templates/spEigenStar-55734.fits"]
    assert _tree(tmp_path / "home") == {}


# SDSS Science Archive Server


def _sdss_origin(shared_data, folder, run2d):
    source = shared_data / "sdss_spectra" / "NGC3522_SDSS_DR18.fits"  # 2488-54149-0001
    return _mirror(folder, {
        f"sdss/spectro/redux/{run2d}/spectra/2488/spec-2488-54149-0001.fits": source
    })  # fmt: skip


def test_sdss_spectrum_found_in_the_right_reduction(shared_data, tmp_path, monkeypatch):
    served = _sdss_origin(shared_data, tmp_path / "served", "104")
    home = tmp_path / "home"
    with serve(served) as (url, requests):
        monkeypatch.setattr(_sdss, "SAS_URL", url)
        try:
            spectrum = fetch_sdss_spectrum(2488, 54149, 1, data_home=home, delay=0)
        except Exception as exc:  # noqa: BLE001 - reading needs the 'sdss' reader
            from spectra_sklearn.io import available_formats

            if "sdss" in available_formats():
                raise
            spectrum = exc
        # 26 and 103 answer 404, 104 has it; nothing more is asked
        assert [r.split("/")[4] for r in requests] == ["26", "103", "104"]
    path = home / "sdss_spectra" / "spec-2488-54149-0001.fits"
    original = shared_data / "sdss_spectra" / "NGC3522_SDSS_DR18.fits"
    assert path.read_bytes() == original.read_bytes()
    assert _tree(home).keys() == {"sdss_spectra/spec-2488-54149-0001.fits"}
    if not isinstance(spectrum, Exception):
        assert spectrum.meta["fiberid"] == 1


def test_sdss_spectrum_nowhere_truncated_offline(shared_data, tmp_path, monkeypatch):
    served = _sdss_origin(shared_data, tmp_path / "served", "26")
    home = tmp_path / "home"
    with serve(served) as (url, requests):
        monkeypatch.setattr(_sdss, "SAS_URL", url)
        with pytest.raises(RemoteFileNotFoundError, match="None of the 4 candidate") as info:
            fetch_sdss_spectrum(2488, 54149, 2, data_home=home, delay=0)
        assert str(info.value).count("spec-2488-54149-0002.fits") >= 4
        assert len(requests) == 4
    with serve(served, truncate_by=1000) as (url, requests):
        monkeypatch.setattr(_sdss, "SAS_URL", url)
        with pytest.raises(DownloadError, match="truncated"):
            fetch_sdss_spectrum(2488, 54149, 1, data_home=home, n_retries=1, delay=0)
    monkeypatch.setattr(_sdss, "SAS_URL", _closed_port_url())
    with pytest.raises(DownloadError, match="Could not download"):
        fetch_sdss_spectrum(2488, 54149, 1, data_home=home, n_retries=0)
    assert _tree(home) == {}


# CASSIS and the ISO SWS atlas (one file per spectrum)


def test_cassis_download_404_truncated(shared_data, tmp_path, monkeypatch):
    spectra = shared_data / "cassis_irs" / "spectra"
    served = _mirror(tmp_path / "served", {
        "cassis_yaaar_spcfw_14203136t.fits": spectra / "cassis_yaaar_spcfw_14203136t.fits"
    })  # fmt: skip
    home = tmp_path / "home"
    template = "{filename}?aorkey={aor_key}&ptg={pointing}&product=yaaar_{product}"
    with serve(served) as (url, requests):
        monkeypatch.setattr(_cassis, "CASSIS_URL", url + template)
        try:
            fetch_cassis(14203136, data_home=home, delay=0)
        except Exception:  # noqa: BLE001 - reading needs the 'cassis' reader
            from spectra_sklearn.io import available_formats

            if "cassis" in available_formats():
                raise
        assert requests == [
            "/cassis_yaaar_spcfw_14203136t.fits?aorkey=14203136&ptg=0&product=yaaar_spcfw"
        ]
        with pytest.raises(RemoteFileNotFoundError, match="HTTP 404"):
            fetch_cassis(14203137, 3, data_home=home, delay=0)
        assert requests[-1].startswith("/cassis_yaaar_spcfw_14203137_3t.fits?aorkey=14203137&ptg=3")
    assert (home / "cassis_irs" / "spectra" / "cassis_yaaar_spcfw_14203136t.fits").read_bytes() == (
        spectra / "cassis_yaaar_spcfw_14203136t.fits"
    ).read_bytes()
    home2 = tmp_path / "home2"
    with serve(served, truncate_by=5) as (url, requests):
        monkeypatch.setattr(_cassis, "CASSIS_URL", url + template)
        with pytest.raises(DownloadError, match="truncated"):
            fetch_cassis(14203136, data_home=home2, n_retries=0)
    assert _tree(home2) == {}


def test_partial_set_offline_skip_or_raise(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "cassis_irs" / "cast_labels").mkdir(parents=True)
    (home / "cassis_irs" / "cast_labels" / "galactic_plane.csv").write_text(
        "AOR,Index,Class\n11278592,None,Other\n24319232,None,PN\n22424576,2,YSO-2\n"
    )
    monkeypatch.setattr(_cassis, "CASSIS_URL", _closed_port_url() + "{filename}")
    with pytest.warns(UserWarning, match="3 of the 3 spectrum files .* Could not download"):
        irs = fetch_spitzer_irs_sets("galactic_plane", data_home=home, missing="skip", n_retries=0)
    assert len(irs.target) == 0
    with pytest.raises(DownloadError, match="cassis_yaaar_spcfw_11278592t.fits"):
        fetch_spitzer_irs_sets("galactic_plane", data_home=home, n_retries=0)
    assert _tree(home).keys() == {"cassis_irs/cast_labels/galactic_plane.csv"}


def test_iso_atlas_spectrum_download(shared_data, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "iso_sws" / "labels").mkdir(parents=True)
    table = (shared_data / "iso_sws" / "labels" / "kraemer_class_fixed.csv").read_text()
    header, *rows = table.splitlines()
    chosen = [r for r in rows if r.split(";")[1] in ("2400714", "6401081")]
    (home / "iso_sws" / "labels" / "kraemer_class_fixed.csv").write_text(
        "\n".join([header, *chosen, rows[0]]) + "\n"
    )
    spectra = shared_data / "iso_sws" / "spectra"
    served = _mirror(tmp_path / "served", {
        "02400714_sws.fit": spectra / "02400714_sws.fit",
        "06401081_sws.fit": spectra / "06401081_sws.fit",
    })  # fmt: skip
    with serve(served) as (url, requests):
        monkeypatch.setattr(_iso_sws, "ATLAS_URL", url)
        with pytest.warns(UserWarning, match="1 of the 3 spectrum files"):
            try:
                iso = fetch_iso_sws(data_home=home, missing="skip", delay=0, load_spectra=True)
            except Exception:  # noqa: BLE001 - reading needs the 'iso_sws' reader
                from spectra_sklearn.io import available_formats

                if "iso_sws" in available_formats():
                    raise
                iso = None
        assert sorted(requests) == sorted(
            ["/02400714_sws.fit", "/06401081_sws.fit", f"/{int(rows[0].split(';')[1]):08d}_sws.fit"]
        )
    for name in ("02400714_sws.fit", "06401081_sws.fit"):
        assert (home / "iso_sws" / "spectra" / name).read_bytes() == (spectra / name).read_bytes()
    if iso is not None:
        assert sorted(iso.frame["tdt"].tolist()) == [2400714, 6401081]
