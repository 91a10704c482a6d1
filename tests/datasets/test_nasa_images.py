"""fetch_nasa_images against a local server imitating the NASA image API (never the network).

The server on 127.0.0.1 answers ``/search`` and ``/asset/<nasa_id>`` with the
API's JSON layout and serves real Galaxy Zoo JPEGs from the data home as the
images; one item's "image" is an HTML error page sent with status 200.
"""

import json
import threading
import time
import urllib.parse
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from spectra_sklearn.datasets import DownloadError, fetch_nasa_images
from spectra_sklearn.images import ImageReader

CORRUPT = "PIA-corrupt"


@pytest.fixture(scope="module")
def jpegs(shared_data):
    folder = shared_data / "galaxy_zoo1" / "images"
    if not folder.is_dir():
        pytest.skip(f"Galaxy Zoo 1 images not in the data home ({folder})")
    return {f"GZ{i:02d}": p.read_bytes() for i, p in enumerate(sorted(folder.glob("*.jpeg"))[:7])}


@contextmanager
def nasa_api(jpegs, *, corrupt=False, image_delay=0.0, trickle=None):
    """Serve an imitation of images-api.nasa.gov; yield (base URL, list of request paths)."""
    ids = list(jpegs) + ([CORRUPT] if corrupt else [])
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, body, content_type, status=200):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if trickle is not None and self.path.startswith(trickle[0]):
                for i in range(len(body)):  # one byte every trickle[1] s
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(trickle[1])
                return
            self.wfile.write(body)

        def do_GET(self):
            requests.append(self.path)
            url = urllib.parse.urlsplit(self.path)
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if url.path == "/search":
                q = urllib.parse.parse_qs(url.query)
                assert q["media_type"] == ["image"] and q["q"] == ["galaxy"]
                page, size = int(q["page"][0]), int(q["page_size"][0])
                chosen = ids[(page - 1) * size: page * size]
                items = [{
                    "href": f"{base}/files/{i}/collection.json",
                    "data": [{"nasa_id": i, "title": f"Galaxy {i}", "media_type": "image",
                              "keywords": ["galaxy", i], "description": f"About {i}.",
                              "center": "GSFC", "date_created": "2020-01-01T00:00:00Z"}],
                    "links": [{"href": f"{base}/files/{i}~thumb.jpg", "rel": "preview",
                               "render": "image"}],
                } for i in chosen]
                links = ([{"rel": "next", "prompt": "Next",
                           "href": f"{base}/search?page={page + 1}"}]
                         if page * size < len(ids) else [])
                answer = {"collection": {"version": "1.0", "items": items, "links": links,
                                         "metadata": {"total_hits": len(ids)}}}
                return self._send(json.dumps(answer).encode(), "application/json")
            if url.path.startswith("/asset/"):
                i = urllib.parse.unquote(url.path[len("/asset/"):])
                files = [{"href": f"{base}/files/{i}~{s}.jpg"} for s in ("orig", "small", "thumb")]
                files.append({"href": f"{base}/files/{i}/metadata.json"})
                return self._send(json.dumps({"collection": {"items": files}}).encode(),
                                  "application/json")
            if url.path.startswith("/files/"):
                time.sleep(image_delay)
                i = url.path[len("/files/"):].split("~")[0]
                if i == CORRUPT:
                    return self._send(b"<html><body>Service unavailable</body></html>",
                                      "text/html")
                if i in jpegs:
                    return self._send(jpegs[i], "image/jpeg")
            self._send(b"not found", "text/plain", status=404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _files(home):
    return sorted(p.relative_to(home).as_posix() for p in Path(home).rglob("*") if p.is_file())


def test_full_fetch_with_paging(jpegs, tmp_path):
    with nasa_api(jpegs) as (url, requests):
        bunch = fetch_nasa_images("galaxy", data_home=tmp_path, max_images=5, page_size=2,
                                  base_url=url, progress=False, delay=0)
    searches = [r for r in requests if r.startswith("/search")]
    assert [urllib.parse.parse_qs(urllib.parse.urlsplit(r).query)["page"] for r in searches] == [
        ["1"], ["2"], ["3"]]
    assert bunch.nasa_id.tolist() == [f"GZ{i:02d}" for i in range(5)]
    assert bunch.title[0] == "Galaxy GZ00" and bunch.keywords[1] == ["galaxy", "GZ01"]
    assert _files(tmp_path) == sorted(
        [f"nasa_images/images/GZ{i:02d}.jpg" for i in range(5)]
        + [f"nasa_images/metadata/GZ{i:02d}.json" for i in range(5)])
    for i, path in enumerate(bunch.data):
        assert Path(path).read_bytes() == jpegs[f"GZ{i:02d}"]
    record = json.loads((tmp_path / "nasa_images/metadata/GZ03.json").read_text())
    assert record["data"]["description"] == "About GZ03." and record["query"] == "galaxy"
    assert record["size"] == [423, 423] and record["image_url"].endswith("GZ03~thumb.jpg")
    assert list(bunch.frame["nasa_id"]) == bunch.nasa_id.tolist()
    assert bunch.failures == []
    images = ImageReader().transform(bunch.data)
    assert images.pixels.shape == (5, 3, 423, 423)


def test_resume_downloads_only_what_is_missing(jpegs, tmp_path):
    with nasa_api(jpegs) as (url, requests):
        fetch_nasa_images("galaxy", data_home=tmp_path, max_images=3, base_url=url,
                          progress=False)
        before = {p: (tmp_path / p).stat().st_mtime_ns for p in _files(tmp_path)}
        requests.clear()
        bunch = fetch_nasa_images("galaxy", data_home=tmp_path, max_images=5, base_url=url,
                                  progress=False)
    downloads = [r for r in requests if r.startswith("/files/")]
    assert downloads == ["/files/GZ03~thumb.jpg", "/files/GZ04~thumb.jpg"]
    assert len(bunch.data) == 5
    assert all((tmp_path / p).stat().st_mtime_ns == t for p, t in before.items())


def test_total_timeout_stops_and_a_new_call_resumes(jpegs, tmp_path):
    with nasa_api(jpegs, image_delay=0.5) as (url, requests):
        with pytest.raises(DownloadError, match="total timeout of 1.2 s.*Call it again to resume"):
            fetch_nasa_images("galaxy", data_home=tmp_path, max_images=6, base_url=url,
                              timeout=1.2, progress=False, delay=0)
        partial = [p for p in _files(tmp_path) if p.startswith("nasa_images/images/")]
        assert len(partial) < 6
        assert not [p for p in _files(tmp_path) if p.endswith(".part")]
        requests.clear()
        bunch = fetch_nasa_images("galaxy", data_home=tmp_path, max_images=6, base_url=url,
                                  progress=False, delay=0)
    assert len(bunch.data) == 6
    assert len([r for r in requests if r.startswith("/files/")]) == 6 - len(partial)


def test_html_served_as_an_image_is_rejected(jpegs, tmp_path):
    with nasa_api(jpegs, corrupt=True) as (url, _):
        with pytest.warns(UserWarning, match=r"1 of 8 images.*PIA-corrupt.*not a readable image"):
            bunch = fetch_nasa_images("galaxy", data_home=tmp_path, max_images=10,
                                      base_url=url, progress=False, delay=0)
        assert len(bunch.data) == 7 and CORRUPT not in bunch.nasa_id
        assert bunch.failures[0][0] == CORRUPT
        assert not [p for p in _files(tmp_path) if "corrupt" in p]  # nothing stored, no staging
        with pytest.raises(DownloadError, match="PIA-corrupt"):
            fetch_nasa_images("galaxy", data_home=tmp_path, max_images=10, base_url=url,
                              progress=False, on_error="raise", delay=0)


def test_asset_manifest_sizes(jpegs, tmp_path):
    with nasa_api(jpegs) as (url, requests):
        bunch = fetch_nasa_images("galaxy", data_home=tmp_path, max_images=2, size="orig",
                                  base_url=url, progress=False)
        assert [r for r in requests if r.startswith(("/asset", "/files"))] == [
            "/asset/GZ00", "/files/GZ00~orig.jpg", "/asset/GZ01", "/files/GZ01~orig.jpg"]
        with pytest.warns(UserWarning, match="lists no ~large JPEG"):
            empty = fetch_nasa_images("galaxy", data_home=tmp_path / "other", max_images=1,
                                      size="large", base_url=url, progress=False)
    assert len(bunch.data) == 2 and len(empty.data) == 0 and len(empty.frame) == 0


def test_bad_server_and_urls(tmp_path):
    with pytest.raises(ValueError, match="base_url must be an http"):
        fetch_nasa_images("galaxy", data_home=tmp_path, base_url="file:///etc")
    with pytest.raises(DownloadError, match="after 1 attempt"):
        fetch_nasa_images("galaxy", data_home=tmp_path, base_url="http://127.0.0.1:9",
                          n_retries=0, progress=False)
    assert not list(tmp_path.iterdir())


def test_progress_bar_on_request(jpegs, tmp_path, capsys):
    with nasa_api(jpegs) as (url, _):
        fetch_nasa_images("galaxy", data_home=tmp_path, max_images=2, base_url=url,
                          progress=True)
    assert "NASA images" in capsys.readouterr().err
    np.testing.assert_equal(len(list((tmp_path / "nasa_images/images").iterdir())), 2)


@pytest.mark.parametrize("slow", ["/search", "/files/"])
def test_a_trickling_server_cannot_hold_the_call_past_its_timeout(jpegs, tmp_path, slow):
    # a byte every 0.2 s: every socket operation succeeds, only the total bound stops it
    with nasa_api(jpegs, trickle=(slow, 0.2)) as (url, _):
        start = time.monotonic()
        with pytest.raises(DownloadError, match="total timeout of 1.5 s"):
            fetch_nasa_images("galaxy", data_home=tmp_path, max_images=3, base_url=url,
                              timeout=1.5, progress=False, delay=0)
        assert time.monotonic() - start < 10
    assert not [p for p in _files(tmp_path) if p.startswith("nasa_images/images/")]
