"""Images and their metadata from the NASA Image and Video Library search API.

The seed project collected its training images from https://images.nasa.gov
by keyword. The API (https://images-api.nasa.gov, no key needed) answers

* ``GET /search?q=<keywords>&media_type=image&page=<n>&page_size=<k>`` with
  ``{"collection": {"items": [...], "links": [{"rel": "next", ...}],
  "metadata": {"total_hits": N}}}``, each item holding ``data[0]``
  (``nasa_id``, ``title``, ``keywords``, ``description``, ``date_created``,
  ``center`` ...) and ``links`` (``rel="preview"``: a small ``~thumb.jpg``);
* ``GET /asset/<nasa_id>`` with ``{"collection": {"items": [{"href": ...}]}}``,
  the files of one asset (``~orig``, ``~large``, ``~medium``, ``~small``,
  ``~thumb`` renditions and a ``metadata.json``).

:func:`fetch_nasa_images` stores each image and one JSON file of its metadata
in the data home, downloading through
:func:`~spectra_sklearn.datasets._download.fetch_file` (temporary file, then
an atomic rename; retries) and accepting an image only once
:func:`~spectra_sklearn.images.read_image` decodes it -- an HTML error page
served with status 200 never lands in the data home.
"""

import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.parse
import warnings
from numbers import Integral, Real
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils import atomic_write
from ._base import make_frame
from ._download import (
    Deadline,
    DownloadError,
    DownloadTimeoutError,
    RemoteFile,
    fetch_file,
    read_url,
)
from ._home import get_data_home

__all__ = ["fetch_nasa_images"]

_FOLDER = "nasa_images"
_MAX_JSON_BYTES = 50 * 2**20
_SIZES = ("thumb", "small", "medium", "large", "orig")
_EXTENSIONS = {"jpeg": ".jpg", "png": ".png"}
_DESCR = """NASA Image and Video Library (https://images.nasa.gov)
---------------------------------------------------------

Images found by a keyword search of the library's API
(https://images-api.nasa.gov/search), one JSON file of metadata each (the
item's ``data[0]``: nasa_id, title, keywords, description, date_created,
center ...). NASA material is generally not subject to copyright in the
United States; follow NASA's media usage guidelines
(https://www.nasa.gov/nasa-brand-center/images-and-media/), credit NASA and
the centre or mission named in the metadata, and check the description for
third-party material.
"""


def _safe_name(nasa_id):
    """A file name for ``nasa_id``: its safe characters, plus a hash if any was replaced."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", nasa_id).lstrip(".")[:120]
    if safe != nasa_id or not safe:
        safe = f"{safe}_{hashlib.sha1(nasa_id.encode()).hexdigest()[:8]}"
    return safe


def _check_url(url, what):
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"{what} must be an http(s) URL; got {url!r}.")
    return url


def _out_of_time(timeout, done, total, home):
    return DownloadTimeoutError(
        f"fetch_nasa_images stopped at its total timeout of {timeout:g} s with "
        f"{done} of {total} images in the data home {home}. Call it again to resume "
        "(the images downloaded are kept and not downloaded again), or pass a "
        "larger timeout=."
    )


def _get_json(url, deadline, request_timeout, n_retries, delay):
    """GET ``url`` and parse its JSON, retrying transient failures, within ``deadline``."""
    last = None
    for attempt in range(n_retries + 1):
        if attempt:
            time.sleep(min(delay * 2 ** (attempt - 1), max(0.0, deadline.left())))
        try:
            body = read_url(url, deadline=deadline, timeout=request_timeout,
                            max_bytes=_MAX_JSON_BYTES, headers={"Accept": "application/json"})
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code < 500 and exc.code not in (408, 429):
                raise DownloadError(
                    f"The NASA image API answered HTTP {exc.code} {exc.reason} to {url}."
                ) from None
            last = f"HTTP {exc.code} {exc.reason}"
            continue
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            if isinstance(exc, DownloadTimeoutError):
                raise
            last = getattr(exc, "reason", None) or exc
            continue
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DownloadError(
                f"{url} did not answer JSON ({exc}); first bytes: {body[:60]!r}."
            ) from None
    raise DownloadError(
        f"Could not reach the NASA image API at {url} after {n_retries + 1} attempt(s) "
        f"(last error: {last}). Check the network connection and base_url."
    )


def _collection(answer, url):
    collection = answer.get("collection") if isinstance(answer, dict) else None
    if not isinstance(collection, dict) or not isinstance(collection.get("items", []), list):
        raise DownloadError(
            f"{url} answered JSON without a 'collection' holding 'items'; is base_url the "
            "NASA Image and Video Library API?"
        )
    return collection


def _search(query, media_type, base_url, page_size, max_images, clock, retries):
    """Up to ``max_images`` items ``(nasa_id, data, preview_url)``, page after page."""
    items, seen, page = [], set(), 1
    while len(items) < max_images:
        url = f"{base_url}/search?" + urllib.parse.urlencode(
            {"q": query, "media_type": media_type, "page": page, "page_size": page_size})
        collection = _collection(_get_json(url, *clock, *retries), url)
        found = collection.get("items", [])
        for item in found:
            data = (item.get("data") or [{}])[0] if isinstance(item, dict) else {}
            nasa_id = data.get("nasa_id") if isinstance(data, dict) else None
            if not isinstance(nasa_id, str) or not nasa_id or nasa_id in seen:
                continue
            if data.get("media_type", media_type) != media_type:
                continue
            preview = next((link.get("href") for link in item.get("links") or []
                            if isinstance(link, dict) and link.get("rel") == "preview"), None)
            seen.add(nasa_id)
            items.append((nasa_id, data, preview))
            if len(items) == max_images:
                break
        has_next = any(isinstance(link, dict) and link.get("rel") == "next"
                       for link in collection.get("links") or [])
        if not found or not has_next:
            break
        page += 1
    return items


def _asset_url(nasa_id, size, base_url, clock, retries):
    url = f"{base_url}/asset/{urllib.parse.quote(nasa_id)}"
    collection = _collection(_get_json(url, *clock, *retries), url)
    hrefs = [i.get("href", "") for i in collection.get("items", []) if isinstance(i, dict)]
    for href in hrefs:
        path = urllib.parse.urlsplit(href).path.lower()
        if f"~{size}." in path and path.endswith((".jpg", ".jpeg", ".png")):
            return href
    raise LookupError(f"its asset manifest {url} lists no ~{size} JPEG or PNG")


def _store(nasa_id, data, image_url, home, folder, clock, retries, query):
    """Download, check and store one image; return its path (or raise)."""
    from ..images import ImageReadError, read_image

    safe = _safe_name(nasa_id)
    staging = RemoteFile(image_url, f"{_FOLDER}/.staging/{safe}")
    staged = staging.local_path(home)
    for attempt in range(2):
        existed = staged.is_file()
        path = fetch_file(staging, home, n_retries=retries[0], delay=retries[1],
                          timeout=clock[1], deadline=clock[0], fetcher="fetch_nasa_images")
        try:
            image = read_image(path, max_pixels=None)
            break
        except ImageReadError as exc:
            path.unlink(missing_ok=True)
            if not existed or attempt:
                raise LookupError(f"{image_url} is not a readable image: {exc.reason}") from None
    if image.meta[0]["format"] not in _EXTENSIONS:
        path.unlink(missing_ok=True)
        raise LookupError(f"{image_url} is a {image.meta[0]['format']} file, not a JPEG or PNG")
    final = folder / "images" / (safe + _EXTENSIONS[image.meta[0]["format"]])
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, final)
    record = {"nasa_id": nasa_id, "query": query, "image_url": image_url,
              "image_file": final.name, "size": list(image.meta[0]["size"]), "data": data}
    (folder / "metadata").mkdir(parents=True, exist_ok=True)
    with atomic_write(folder / "metadata" / f"{safe}.json", "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, ensure_ascii=False)
    return final


def _stored(nasa_id, folder):
    """The image of ``nasa_id`` if a complete earlier download is in the data home."""
    meta = folder / "metadata" / f"{_safe_name(nasa_id)}.json"
    if not meta.is_file():
        return None
    try:
        record = json.loads(meta.read_text(encoding="utf-8"))
        image = folder / "images" / Path(record["image_file"]).name
    except (ValueError, KeyError, TypeError, OSError):
        return None
    return image if image.is_file() else None


@validate_params(
    {
        "query": [str],
        "data_home": [str, PathLike, None],
        "max_images": [Interval(Integral, 1, None, closed="left")],
        "media_type": [StrOptions({"image"})],
        "size": [StrOptions(set(_SIZES))],
        "page_size": [Interval(Integral, 1, 100, closed="both")],
        "timeout": [Interval(Real, 0, None, closed="neither")],
        "request_timeout": [Interval(Real, 0, None, closed="neither")],
        "base_url": [str],
        "on_error": [StrOptions({"raise", "warn", "skip"})],
        "progress": ["boolean", None],
        "n_retries": [Interval(Integral, 0, None, closed="left")],
        "delay": [Interval(Real, 0.0, None, closed="left")],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_nasa_images(query, *, data_home=None, max_images=100, media_type="image",
                      size="thumb", page_size=100, timeout=600.0, request_timeout=60.0,
                      base_url="https://images-api.nasa.gov", on_error="warn", progress=None,
                      n_retries=3, delay=1.0, as_frame=False):
    """Download images matching ``query`` from the NASA Image and Video Library.

    Searches the library's API (``/search?q=...&media_type=image``, page
    after page), and stores each image found with a JSON file of its
    metadata under ``<data_home>/nasa_images/``::

        nasa_images/images/<nasa_id>.jpg      the image (or .png)
        nasa_images/metadata/<nasa_id>.json   nasa_id, query, image_url, size
                                              (width, height) and the item's data

    Resumable: an image whose files are already there is not downloaded
    again, so a call interrupted (or stopped by ``timeout``) continues where
    it left off. Atomic: every file is written to a temporary name and
    renamed once complete, and an image is kept only if it decodes (an HTML
    error page served with status 200 is rejected).

    Parameters
    ----------
    query : str
        Search keywords, e.g. ``"spiral galaxy"`` or ``"nebula"``.
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    max_images : int, default=100
        Most images to fetch (the first ones the search returns).
    media_type : {'image'}, default='image'
        Media type searched (only images are read here).
    size : {'thumb', 'small', 'medium', 'large', 'orig'}, default='thumb'
        Rendition: ``'thumb'`` is the search result's preview (no extra
        request); the others are looked up in ``/asset/<nasa_id>``
        (``'orig'`` can be tens of megapixels).
    page_size : int, default=100
        Results per search page (the API's maximum is 100).
    timeout : float, default=600.0
        Total seconds for the whole call (searches and downloads).
    request_timeout : float, default=60.0
        Seconds to wait for the server at each request.
    base_url : str, default='https://images-api.nasa.gov'
        The API's root (another server imitating it works too).
    on_error : {'raise', 'warn', 'skip'}, default='warn'
        An image that cannot be fetched (HTTP 404, not a readable JPEG/PNG,
        no such rendition): raise, leave it out with one
        :class:`UserWarning` naming them all, or leave it out silently.
    progress : bool or None, default=None
        tqdm progress bar: ``None`` only on a terminal (after 2 s), ``True``
        always, ``False`` never.
    n_retries : int, default=3
        Retries of a request after a transient network error.
    delay : float, default=1.0
        Seconds before the first retry, doubled at each further retry.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : ndarray of str of shape (n_images,)
            Paths of the stored images, in search order (read them with
            :class:`~spectra_sklearn.images.ImageReader`).
        nasa_id, title, description : ndarray of str of shape (n_images,)
            Each image's ``nasa_id``, ``title`` and ``description``.
        keywords : list of list of str
            Each image's keywords.
        metadata : list of dict
            Each image's full search ``data[0]`` record.
        frame : structured ndarray or DataFrame of shape (n_images,)
            ``nasa_id``, ``title``, ``date_created``, ``center``,
            ``keywords`` (joined by ``'; '``), ``description``, ``filename``.
        failures : list of tuple of (str, str)
            ``(nasa_id, reason)`` of the images left out.
        DESCR : str
            The source and its terms.

    Raises
    ------
    spectra_sklearn.datasets.DownloadError
        If the search fails (network, HTTP error, an answer that is not the
        API's JSON), the data home is not writable, or ``timeout`` runs out
        (the message says how many images are in and that a new call
        resumes); with ``on_error='raise'``, if an image cannot be fetched.
    ValueError
        If ``base_url`` or an image URL is not http(s).

    Examples
    --------
    Skipped as a doctest: it needs the network.

    >>> from spectra_sklearn.datasets import fetch_nasa_images
    >>> nebulae = fetch_nasa_images("nebula", max_images=20)  # doctest: +SKIP
    >>> len(nebulae.data), nebulae.frame["title"][0]  # doctest: +SKIP
    (20, '...')
    """
    from ..io._read import _progress_bar

    base_url = _check_url(base_url.rstrip("/"), "base_url")
    home = get_data_home(data_home)
    folder = home / _FOLDER
    clock = (Deadline.after(timeout, "fetch_nasa_images"), request_timeout)
    retries = (n_retries, delay)
    try:
        items = _search(query, media_type, base_url, page_size, max_images, clock, retries)
    except DownloadTimeoutError:
        raise _out_of_time(timeout, 0, max_images, home) from None
    paths, kept, failures = [], [], []
    for nasa_id, data, preview in _progress_bar(items, len(items), progress, "NASA images"):
        path = _stored(nasa_id, folder)
        if path is None:
            try:
                if size == "thumb":
                    if not preview:
                        raise LookupError("the search result has no preview link")
                    url = preview
                else:
                    url = _asset_url(nasa_id, size, base_url, clock, retries)
                _check_url(url, f"The image URL of {nasa_id!r}")
                path = _store(nasa_id, data, url, home, folder, clock, retries, query)
            except DownloadTimeoutError:
                raise _out_of_time(timeout, len(paths), len(items), home) from None
            except (LookupError, DownloadError) as exc:
                if on_error == "raise":
                    raise DownloadError(f"Cannot fetch NASA image {nasa_id!r}: {exc}") from exc
                failures.append((nasa_id, str(exc)))
                continue
        paths.append(str(path))
        kept.append(data)
    if failures and on_error == "warn":
        warnings.warn(
            f"fetch_nasa_images: {len(failures)} of {len(items)} images could not be fetched "
            "and are left out: " + "; ".join(f"{i}: {r}" for i, r in failures[:5])
            + ("; ..." if len(failures) > 5 else ""),
            UserWarning, stacklevel=3,
        )
    text = {key: np.array([str(d.get(key) or "") for d in kept], dtype=str)
            for key in ("nasa_id", "title", "date_created", "center", "description")}
    keywords = [[str(k) for k in (d.get("keywords") or [])] for d in kept]
    frame = make_frame(
        {**{k: text[k] for k in ("nasa_id", "title", "date_created", "center")},
         "keywords": ["; ".join(k) for k in keywords], "description": text["description"],
         "filename": [Path(p).name for p in paths]},
        as_frame=as_frame, caller="fetch_nasa_images",
    )
    return Bunch(data=np.array(paths, dtype=str), nasa_id=text["nasa_id"], title=text["title"],
                 description=text["description"], keywords=keywords, metadata=kept,
                 frame=frame, failures=failures, DESCR=_DESCR)
