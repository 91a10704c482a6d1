"""Total-time limits, bounded parallel downloads with a progress bar, resumable.

Every test talks to a local HTTP server on 127.0.0.1 (``_http.serve``), never
the network.
"""

import inspect
import shutil
import time
from pathlib import Path

import pytest
from _http import serve
from sklearn.utils._param_validation import InvalidParameterError

from spectra_sklearn import datasets
from spectra_sklearn.datasets import (
    DownloadError,
    DownloadTimeoutError,
    _cassis,
    _download,
    _iso_sws,
    _sdss,
    _smass2,
    _spex,
    fetch_spitzer_irs_sets,
)
from spectra_sklearn.datasets._download import Deadline, RemoteFile, fetch_file, read_url

#: Every public fetcher that downloads (fetch_galaxy_zoo1 reads a local copy only).
DOWNLOADING = sorted(
    name for name in datasets.__all__
    if name.startswith("fetch_") and name != "fetch_galaxy_zoo1"
)
#: Far more bytes than a bound of a few seconds lets a 2-byte/s server send.
SLOW_BODY = b"SIMPLE  =                    T" + b" " * 49


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*")
                  if p.is_file())


@pytest.mark.parametrize("name", DOWNLOADING)
def test_every_fetcher_takes_a_validated_total_timeout(name):
    fetcher = getattr(datasets, name)
    parameter = inspect.signature(fetcher).parameters.get("timeout")
    assert parameter is not None, f"{name} has no timeout parameter"
    assert parameter.default is None or parameter.default > 0
    assert "timeout : float" in fetcher.__doc__
    # validated before anything is read or downloaded
    args = {"fetch_cassis": (14203136,), "fetch_nasa_images": ("nebula",),
            "fetch_sdss_spectra": (["945-52652-470"],),
            "fetch_sdss_spectrum": (945, 52652, 470)}.get(name, ())
    with pytest.raises(InvalidParameterError, match="timeout"):
        fetcher(*args, timeout=-1.0)


def _call(name, url, home, shared_data, monkeypatch):
    """Point fetcher ``name`` at the server ``url`` and call it with timeout=1.5."""
    common = dict(data_home=home, timeout=1.5, delay=0)
    monkeypatch.setattr(_download, "GITHUB_RAW_URL", url)
    if name == "fetch_smass2":
        monkeypatch.setattr(_smass2, "BASE_URL", url)
    elif name == "fetch_spex_prism":
        monkeypatch.setattr(_spex, "BASE_URL", url)
    elif name in ("fetch_cassis", "fetch_spitzer_irs_sets"):
        monkeypatch.setattr(_cassis, "CASSIS_URL", url + "{filename}")
    elif name == "fetch_iso_sws":
        monkeypatch.setattr(_iso_sws, "ATLAS_URL", url)
    elif name == "fetch_sdss_spectrum":
        monkeypatch.setattr(_sdss, "SAS_URL", url)
    elif name == "fetch_miles":  # the label table is never downloaded
        (home / "miles" / "labels").mkdir(parents=True)
        shutil.copyfile(shared_data / "miles" / "labels" / "miles_labels.csv",
                        home / "miles" / "labels" / "miles_labels.csv")
    elif name == "fetch_nasa_images":
        return datasets.fetch_nasa_images("nebula", base_url=url, data_home=home,
                                          timeout=1.5, delay=0, progress=False)
    fetcher = getattr(datasets, name)
    if name == "fetch_cassis":
        return fetcher(14203136, **common)
    if name == "fetch_sdss_spectrum":
        return fetcher(945, 52652, 470, **common)
    if name == "fetch_sdss_spectra":
        return fetcher(["945-52652-470"], base_url=url, data_home=home, timeout=1.5,
                       delay=0, progress=False)
    return fetcher(**common)


@pytest.mark.parametrize("name", [n for n in DOWNLOADING if n != "fetch_nasa_images"])
def test_a_trickling_server_cannot_hold_a_fetch_past_its_timeout(
    name, shared_data, tmp_path, monkeypatch
):
    """One byte every half second, forever: the call ends at timeout=1.5 s with one
    error naming the file and how much arrived, and leaves no file behind."""
    home = tmp_path / "home"
    home.mkdir()
    before = _files(home)
    with serve(tmp_path, trickle=0.5, body=SLOW_BODY) as (url, requests):
        start = time.monotonic()
        with pytest.raises(DownloadTimeoutError) as info:
            _call(name, url, home, shared_data, monkeypatch)
        elapsed = time.monotonic() - start
    assert elapsed < 10, f"{name} took {elapsed:.1f} s with timeout=1.5"
    message = str(info.value)
    assert "timeout=1.5 s" in message and name in message
    assert "bytes had arrived" in message and requests
    assert any(Path(r.split("?")[0]).name in message for r in requests)
    assert isinstance(info.value, DownloadError) and isinstance(info.value, TimeoutError)
    assert _files(home) == before + (["miles/labels/miles_labels.csv"]
                                     if name == "fetch_miles" else [])


def test_the_deadline_also_bounds_a_server_that_never_answers(tmp_path):
    home = tmp_path / "home"
    with serve(tmp_path, hold=30.0) as (url, _):
        start = time.monotonic()
        with pytest.raises(DownloadTimeoutError, match="0 bytes had arrived"):
            fetch_file(RemoteFile(url + "x.bin", "x.bin"), home,
                       deadline=Deadline.after(1.0, "test"), delay=0)
        assert time.monotonic() - start < 8
    assert not home.exists() or _files(home) == []


def test_read_url_of_an_api_answer_is_bounded_by_the_deadline_too(tmp_path):
    with serve(tmp_path, trickle=0.5, body=SLOW_BODY) as (url, _):
        start = time.monotonic()
        with pytest.raises(DownloadTimeoutError, match="bytes had arrived"):
            read_url(url + "search?q=nebula", deadline=Deadline.after(1.0, "test"))
        assert time.monotonic() - start < 8
    with serve(tmp_path, body=b'{"a": 1}') as (url, _):
        assert read_url(url + "x", deadline=Deadline.after(5.0)) == b'{"a": 1}'
        with pytest.raises(DownloadError, match="more than 4 bytes"):
            read_url(url + "x", max_bytes=4)


def test_timeout_none_still_downloads(tmp_path):
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "x.bin").write_bytes(b"abc" * 100)
    with serve(tmp_path / "served") as (url, _):
        path = fetch_file(RemoteFile(url + "x.bin", "x.bin"), tmp_path / "home",
                          deadline=Deadline.after(None), delay=0)
    assert path.read_bytes() == b"abc" * 100


# --- many files: bounded parallel connections, progress bar, resumable ----------

CASSIS_AORS = (7130112, 9834496, 12116736, 14191360, 14203136, 20838656, 27570176)


def _irs_home(shared_data, tmp_path):
    """A data home with a Galactic Plane table of the 7 CASSIS files we hold, and
    an origin serving those files."""
    home = tmp_path / "home"
    labels = home / "cassis_irs" / "cast_labels"
    labels.mkdir(parents=True)
    (labels / "galactic_plane.csv").write_text(
        "AOR,Index,Class\n" + "".join(f"{a},None,Star\n" for a in CASSIS_AORS)
    )
    served = tmp_path / "served"
    served.mkdir()
    for aor in CASSIS_AORS:
        name = f"cassis_yaaar_spcfw_{aor}t.fits"
        shutil.copyfile(shared_data / "cassis_irs" / "spectra" / name, served / name)
    return home, served


def test_many_cassis_spectra_download_in_parallel_within_the_bound(
    shared_data, tmp_path, monkeypatch, capsys
):
    home, served = _irs_home(shared_data, tmp_path)
    with serve(served, hold=0.4) as (url, requests):
        monkeypatch.setattr(_cassis, "CASSIS_URL", url + "{filename}")
        irs = fetch_spitzer_irs_sets("galactic_plane", data_home=home, n_jobs=3,
                                     progress=True, delay=0)
        assert len(requests) == len(CASSIS_AORS)
        assert 1 < requests.max_active <= 3  # parallel, never more than n_jobs
        bar = capsys.readouterr().err
        assert "fetch_spitzer_irs_sets" in bar and "7/7" in bar
        # resumable: what is there is not fetched again; a lost file is
        (home / "cassis_irs" / "spectra" / "cassis_yaaar_spcfw_9834496t.fits").unlink()
        again = fetch_spitzer_irs_sets("galactic_plane", data_home=home, n_jobs=3,
                                       progress=False, delay=0)
        assert requests[len(CASSIS_AORS):] == ["/cassis_yaaar_spcfw_9834496t.fits"]
        assert capsys.readouterr().err == ""  # progress=False: silent
    assert len(irs.data) == len(again.data) == len(CASSIS_AORS)
    for aor in CASSIS_AORS:
        name = f"cassis_yaaar_spcfw_{aor}t.fits"
        assert (home / "cassis_irs" / "spectra" / name).read_bytes() == (
            served / name).read_bytes()
    assert not [f for f in _files(home) if ".part" in f]


def test_n_jobs_1_downloads_one_file_at_a_time(shared_data, tmp_path, monkeypatch):
    home, served = _irs_home(shared_data, tmp_path)
    with serve(served, hold=0.1) as (url, requests):
        monkeypatch.setattr(_cassis, "CASSIS_URL", url + "{filename}")
        fetch_spitzer_irs_sets("galactic_plane", data_home=home, n_jobs=1,
                               progress=False, delay=0)
    assert requests.max_active == 1 and len(requests) == len(CASSIS_AORS)


def test_a_timeout_in_a_many_file_download_keeps_what_arrived(
    shared_data, tmp_path, monkeypatch
):
    home, served = _irs_home(shared_data, tmp_path)
    with serve(served, hold=0.7) as (url, requests):
        monkeypatch.setattr(_cassis, "CASSIS_URL", url + "{filename}")
        with pytest.raises(DownloadTimeoutError, match=r"of the 7 files to download") as info:
            fetch_spitzer_irs_sets("galactic_plane", data_home=home, n_jobs=2,
                                   timeout=1.0, progress=False, delay=0)
    spectra = [f for f in _files(home) if f.startswith("cassis_irs/spectra/")]
    assert 1 <= len(spectra) < len(CASSIS_AORS)  # the first two arrived, not all
    assert f"{len(spectra)} of the 7 files" in str(info.value)
    assert not [f for f in _files(home) if ".part" in f]
    with serve(served) as (url, requests):  # a new call resumes
        monkeypatch.setattr(_cassis, "CASSIS_URL", url + "{filename}")
        irs = fetch_spitzer_irs_sets("galactic_plane", data_home=home, progress=False)
    assert len(requests) == len(CASSIS_AORS) - len(spectra)
    assert len(irs.data) == len(CASSIS_AORS)
