"""Downloads into the data home, against a local HTTP server (never the network)."""

import hashlib
import os
import shutil
import socket
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from spectra_sklearn.datasets import (
    ChecksumError,
    DownloadError,
    RemoteFileNotFoundError,
    fetch_smass2,
    fetch_spex_prism,
)
from spectra_sklearn.datasets import _smass2, _spex
from spectra_sklearn.datasets._download import RemoteFile, fetch_file


@contextmanager
def serve(directory, *, truncate_by=0):
    """Serve ``directory`` on 127.0.0.1; yield (base URL, list of requested paths).

    With ``truncate_by > 0`` every file is sent with a ``Content-Length``
    larger than the body by that many bytes, then the connection is closed.
    """
    requests = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            if not truncate_by:
                return super().do_GET()
            path = Path(self.translate_path(self.path))
            if not path.is_file():
                return self.send_error(404)
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + truncate_by))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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


def _spex_origin(shared_data, folder, n_per_class=1, absent=1):
    """A SPLAT-like folder: metadata of a few OK rows per class, their files, and
    ``absent`` more rows whose file the origin does not have."""
    folder.mkdir(parents=True)
    raw = (shared_data / "spex_prism" / "metadata" / "spectral_data.txt").read_bytes()
    lines = raw.split(b"\r")
    header = lines[0].split(b"\t")
    i_type, i_flag, i_file = (header.index(c) for c in (b"SPEX_TYPE", b"QUALITY_FLAG", b"DATA_FILE"))
    chosen, files = [], []
    for letter in (b"M", b"L", b"T"):
        rows = [
            line for line in lines[1:]
            if line and line.split(b"\t")[i_flag] == b"OK"
            and line.split(b"\t")[i_type].startswith(letter)
            and line.split(b"\t")[i_type][1:2].isdigit()
        ]
        chosen += rows[:n_per_class]
    absent_rows = [line for line in lines[1:] if line and line not in chosen][:absent]
    for line in chosen:
        name = line.split(b"\t")[i_file].decode() + ".gz"
        shutil.copyfile(shared_data / "spex_prism" / "spectra" / name, folder / name)
        files.append(name)
    metadata = b"\r".join([lines[0], *chosen, *absent_rows]) + b"\r"
    (folder / "spectral_data.txt").write_bytes(metadata)
    return files, [r.split(b"\t")[i_file].decode() + ".gz" for r in absent_rows]


def test_fetch_spex_prism_downloads_only_missing_files(shared_data, tmp_path, monkeypatch):
    files, absent = _spex_origin(shared_data, tmp_path / "served", absent=0)
    home = tmp_path / "home"
    with serve(tmp_path / "served") as (url, requests):
        monkeypatch.setattr(_spex, "BASE_URL", url)
        spex = fetch_spex_prism(data_home=home, delay=0, n_jobs=2)  # threads download
        assert sorted(requests) == sorted(["/spectral_data.txt"] + [f"/{f}" for f in files])
        before = _tree(home)
        again = fetch_spex_prism(data_home=home, download_if_missing=False)
        assert len(requests) == 1 + len(files)
        assert _tree(home) == before
    assert sorted(spex.target_class.tolist()) == ["L", "M", "T"]
    assert np.array_equal(again.target, spex.target)
    for name in files:
        assert (home / "spex_prism" / "spectra" / name).read_bytes() == (
            shared_data / "spex_prism" / "spectra" / name
        ).read_bytes()
    assert (home / "spex_prism" / "metadata" / "spectral_data.txt").is_file()


def test_fetch_spex_prism_leaves_out_spectra_the_origin_lacks(shared_data, tmp_path, monkeypatch):
    files, absent = _spex_origin(shared_data, tmp_path / "served", absent=2)
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
