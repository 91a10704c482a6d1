"""fetch_spex_prism accepts only the bytes of its SHA-256 manifest (issue 17).

The origin is a moving branch that publishes no checksum; corrupt bytes or an
HTML page served with status 200 used to be stored and never fetched again.
"""

import gzip
import hashlib
from pathlib import Path

import pytest
from _http import HTML_PAGE, serve
from _origins import spex_origin

from spectra_sklearn.datasets import (
    ChecksumError,
    InvalidFileError,
    _spex,
    fetch_spex_prism,
)


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*")
                  if p.is_file())


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_the_manifest_holds_every_file_of_the_library_and_its_digest(shared_data):
    root = shared_data / "spex_prism"
    on_disk = {p.relative_to(root).as_posix(): p
               for p in [*root.glob("metadata/*"), *root.glob("spectra/*")]}
    manifest = _spex._manifest()
    assert set(manifest) == set(on_disk)
    assert len(manifest) == 2482  # 2,480 spectra and the two metadata tables
    for name, path in on_disk.items():
        assert manifest[name] == _sha256(path.read_bytes()), name
    packed = Path(_spex.__file__).parent.joinpath(*_spex.MANIFEST)
    assert packed.stat().st_size < 150_000  # compact (gzipped hex digests)
    assert gzip.decompress(packed.read_bytes()).count(b"\n") == 2484  # 2 comment lines


def test_an_html_page_served_with_status_200_is_refused(tmp_path, monkeypatch):
    home = tmp_path / "home"
    with serve(tmp_path, html=True) as (url, requests):
        monkeypatch.setattr(_spex, "BASE_URL", url)
        with pytest.raises(ChecksumError) as info:
            fetch_spex_prism(data_home=home, delay=0)
    message = str(info.value)
    assert "spex_prism/metadata/spectral_data.txt" in message
    assert _spex._manifest()["metadata/spectral_data.txt"] in message  # expected
    assert _sha256(HTML_PAGE) in message  # found
    assert requests == ["/spectral_data.txt"]  # not retried
    assert _files(home) == []  # nothing stored, so the next call fetches it again


def test_a_spectrum_that_is_an_html_page_is_refused_then_fetched_again(
    shared_data, tmp_path, monkeypatch
):
    served = tmp_path / "served"
    files, _ = spex_origin(shared_data, served, absent=0, monkeypatch=monkeypatch)
    good = (served / files[0]).read_bytes()
    (served / files[0]).write_bytes(HTML_PAGE)
    home = tmp_path / "home"
    with serve(served) as (url, requests):
        monkeypatch.setattr(_spex, "BASE_URL", url)
        with pytest.raises(ChecksumError) as info:
            fetch_spex_prism(data_home=home, delay=0, progress=False)
        message = str(info.value)
        assert f"spex_prism/spectra/{files[0]}" in message
        assert _spex._manifest()[f"spectra/{files[0]}"] in message
        assert _sha256(HTML_PAGE) in message
        assert f"spex_prism/spectra/{files[0]}" not in _files(home)
        assert not [f for f in _files(home) if ".part" in f]
        # the origin is repaired: the file is downloaded, not stuck as refused
        (served / files[0]).write_bytes(good)
        spex = fetch_spex_prism(data_home=home, delay=0, progress=False)
    assert len(spex.data) == len(files)
    assert (home / "spex_prism" / "spectra" / files[0]).read_bytes() == good


def test_corrupt_bytes_are_refused_and_deleted(shared_data, tmp_path, monkeypatch):
    served = tmp_path / "served"
    files, _ = spex_origin(shared_data, served, absent=0, monkeypatch=monkeypatch)
    data = bytearray((served / files[1]).read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit, same length
    (served / files[1]).write_bytes(bytes(data))
    home = tmp_path / "home"
    with serve(served) as (url, _):
        monkeypatch.setattr(_spex, "BASE_URL", url)
        with pytest.raises(ChecksumError, match=_sha256(bytes(data))):
            fetch_spex_prism(data_home=home, delay=0, n_jobs=1, progress=False)
    assert f"spex_prism/spectra/{files[1]}" not in _files(home)
    assert not [f for f in _files(home) if ".part" in f]


def test_a_file_the_manifest_does_not_list_must_still_be_gzipped_fits(
    shared_data, tmp_path, monkeypatch
):
    served = tmp_path / "served"
    files, _ = spex_origin(shared_data, served, absent=0, monkeypatch=monkeypatch)
    manifest = dict(_spex._manifest())
    del manifest[f"spectra/{files[2]}"]
    monkeypatch.setattr(_spex, "_manifest", lambda: manifest)
    (served / files[2]).write_bytes(HTML_PAGE)
    home = tmp_path / "home"
    with serve(served) as (url, _):
        monkeypatch.setattr(_spex, "BASE_URL", url)
        with pytest.raises(InvalidFileError, match="did not send a gzipped FITS file"):
            fetch_spex_prism(data_home=home, delay=0, progress=False)
    assert f"spex_prism/spectra/{files[2]}" not in _files(home)


def test_spex_spectra_download_in_parallel_within_the_bound(
    shared_data, tmp_path, monkeypatch, capsys
):
    served = tmp_path / "served"
    files, _ = spex_origin(shared_data, served, n_per_class=2, absent=0,
                           monkeypatch=monkeypatch)
    home = tmp_path / "home"
    with serve(served, hold=0.4) as (url, requests):
        monkeypatch.setattr(_spex, "BASE_URL", url)
        spex = fetch_spex_prism(data_home=home, delay=0, n_jobs=2, progress=True)
        spectra = [r for r in requests if r.endswith(".fits.gz")]
        assert sorted(spectra) == sorted(f"/{f}" for f in files)
        assert 1 < requests.max_active <= 2
        assert "SpeX spectra" in capsys.readouterr().err
        fetch_spex_prism(data_home=home, delay=0, progress=False)  # all there
        assert len(requests) == 2 + len(files) and capsys.readouterr().err == ""
    assert len(spex.data) == len(files) == 6
