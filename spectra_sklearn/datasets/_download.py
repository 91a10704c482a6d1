"""Download missing dataset files into the data home, safely.

A file is described by a :class:`RemoteFile` (origin URL, path relative to the
data home, SHA-256 when the origin publishes one). :func:`fetch_file` returns
the local path, downloading only when the file is missing:

* the bytes go to a temporary file in the destination folder, which is moved
  into place with :func:`os.replace` (atomic) only once complete -- a failed,
  truncated or corrupted download leaves nothing behind and never touches a
  file already there;
* the received length is checked against ``Content-Length`` and, when known,
  the SHA-256 against the published value; a fetcher may also pass a
  ``verify`` callable that inspects the complete temporary file (e.g. opens it
  as FITS) before it is moved into place;
* an optional ``deadline`` (a :class:`Deadline`, the total time a fetcher
  call may take) bounds the whole download, not each socket operation: no
  attempt starts after it, and a watchdog shuts the connection down when it
  passes, so a server that trickles a byte every second, or never finishes
  its headers, cannot hold a call past it (:class:`DownloadTimeoutError`,
  naming the file and how many bytes had arrived);
* transient failures (no network, time-outs, dropped connections, truncated
  bodies, HTTP 5xx/408/429) are retried with exponential back-off; an HTTP
  4xx answer or a checksum mismatch is not (retrying cannot fix them).
"""

import hashlib
import http.client
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from numbers import Real
from pathlib import Path, PurePosixPath

from sklearn.utils._param_validation import Interval

from ..utils import atomic_write

__all__ = [
    "TIMEOUT_CONSTRAINT",
    "ChecksumError",
    "Deadline",
    "DownloadError",
    "DownloadTimeoutError",
    "InvalidFileError",
    "RemoteFile",
    "RemoteFileNotFoundError",
    "document_download_params",
    "fetch_file",
    "fetch_first",
    "github_raw_url",
    "read_url",
]

logger = logging.getLogger(__name__)

_CHUNK = 1 << 16
_USER_AGENT = "spectra_sklearn-dataset-fetcher (Python urllib)"
#: Seconds to wait for the server before an attempt counts as failed.
DEFAULT_TIMEOUT = 60.0
#: Where GitHub serves the raw files of a repository (read at call time, so a
#: mirror can be substituted).
GITHUB_RAW_URL = "https://raw.githubusercontent.com/"
_TRANSIENT_HTTP = frozenset({408, 429})
#: ``validate_params`` constraint of the fetchers' ``timeout`` parameter.
TIMEOUT_CONSTRAINT = [Interval(Real, 0.0, None, closed="neither"), None]

_RETRY_PARAMS_DOC = """\
    n_retries : int, default=3
        Retries of a download after a transient network error.
    delay : float, default=1.0
        Seconds before the first retry, doubled at each further retry.
"""
_TIMEOUT_PARAM_DOC = """\
    timeout : float or None, default={timeout}
        Total seconds the call may spend downloading (every request and
        transfer, retries included, however slowly the server sends); when
        it runs out a :class:`~spectra_sklearn.datasets.DownloadTimeoutError`
        names the file and the bytes that had arrived. ``None``: no total
        bound (each socket operation still waits at most 60 s).
"""


def document_download_params(*, timeout):
    """Decorator: the fetchers' shared parameter entries, written once.

    Replaces the lines ``{retry_params}`` (``n_retries``, ``delay``) and
    ``{timeout_param}`` (``timeout``, with its default ``timeout``) of the
    decorated function's numpydoc docstring.
    """
    def fill(func):
        doc = func.__doc__.replace("    {retry_params}\n", _RETRY_PARAMS_DOC)
        func.__doc__ = doc.replace("    {timeout_param}\n",
                                   _TIMEOUT_PARAM_DOC.format(timeout=timeout))
        return func
    return fill


@dataclass(frozen=True)
class RemoteFile:
    """A dataset file: where it comes from and where it goes in the data home.

    Parameters
    ----------
    url : str
        Origin URL of the file.
    path : str
        Destination relative to the data home, with ``/`` separators
        (e.g. ``"smass2/Bus.Taxonomy.txt"``).
    sha256 : str or None, default=None
        Hex SHA-256 the origin publishes for the file; ``None`` when it
        publishes none (nothing is then verified).
    """

    url: str
    path: str
    sha256: str | None = None

    def local_path(self, data_home):
        """Absolute destination of the file in ``data_home``."""
        rel = PurePosixPath(self.path)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(
                f"RemoteFile.path must be relative to the data home; got {self.path!r}."
            )
        return Path(data_home).joinpath(*rel.parts)


def github_raw_url(repository, commit, path):
    """URL of ``path`` in a GitHub ``repository`` at a fixed ``commit``.

    The bytes behind such a URL never change, so the SHA-256 recorded for a
    file there holds for good.
    """
    return f"{GITHUB_RAW_URL}{repository}/{commit}/{path}"


class DownloadError(OSError):
    """A dataset file could not be downloaded into the data home."""


class RemoteFileNotFoundError(DownloadError):
    """The origin answered that the file does not exist (HTTP 404/410)."""


class ChecksumError(DownloadError):
    """The downloaded bytes do not have the SHA-256 the origin publishes."""


class InvalidFileError(DownloadError):
    """The downloaded bytes are not the kind of file expected (e.g. an HTML
    error page served with HTTP 200 instead of a FITS file)."""


class DownloadTimeoutError(DownloadError, TimeoutError):
    """A fetcher call ran out of its total time (its ``timeout`` parameter).

    Files complete by then are kept in the data home (a new call does not
    download them again); the one being transferred is not written.
    """


@dataclass(frozen=True)
class Deadline:
    """The total time one fetcher call may take.

    Parameters
    ----------
    at : float or None
        :func:`time.monotonic` time at which the call must stop; ``None``:
        no bound.
    seconds : float or None, default=None
        The ``timeout`` it was made from, for messages.
    fetcher : str, default="the fetcher"
        Name of the fetcher, for messages.
    """

    at: float | None
    seconds: float | None = None
    fetcher: str = "the fetcher"

    @classmethod
    def after(cls, seconds, fetcher="the fetcher"):
        """The deadline ``seconds`` from now (``None``: no bound)."""
        at = None if seconds is None else time.monotonic() + float(seconds)
        return cls(at, seconds, fetcher)

    def left(self):
        """Seconds left (``inf`` without a bound; <= 0 once passed)."""
        return float("inf") if self.at is None else self.at - time.monotonic()

    def describe(self):
        limit = "" if self.seconds is None else f" (timeout={self.seconds:g} s)"
        return f"{self.fetcher} ran out of its time limit{limit}"


def _as_deadline(deadline, fetcher):
    if deadline is None or isinstance(deadline, Deadline):
        return deadline
    return Deadline(float(deadline), None, fetcher)  # a bare time.monotonic() value


def time_is_up(deadline, remote, home, received=0, announced=None, last_error=None):
    """The :class:`DownloadTimeoutError` of ``remote`` stopped by ``deadline``."""
    of = f" of {announced}" if announced is not None else ""
    return DownloadTimeoutError(
        f"{deadline.describe()} while downloading {remote.path!r} from {remote.url}: "
        f"{received}{of} bytes had arrived"
        + (f" (last error: {last_error})" if last_error else "")
        + f"; {remote.path!r} was not written to the data home {home}. Files complete "
        "by then are kept: call again to resume, or pass a larger timeout=."
    )


class _Watchdog:
    """Shut the connections of one attempt down when the deadline passes.

    ``socket.timeout`` bounds each socket operation only; this bounds the
    whole attempt (headers and body). The connections register their socket
    through :func:`_opener`; :meth:`socket.socket.shutdown` (the plain one,
    also for TLS sockets) wakes a blocked read, which then ends or fails.
    """

    def __init__(self, deadline):
        self.fired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = None
        if deadline is not None and deadline.at is not None:
            self._timer = threading.Timer(max(0.0, deadline.left()), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def add(self, sock):
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shutdown(sock)

    def _fire(self):
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shutdown(sock)

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()


def _shutdown(sock):
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _opener(watchdog):
    """A urllib opener whose HTTP(S) connections register with ``watchdog``."""

    def connection(base):
        class Connection(base):
            def connect(self):
                super().connect()
                watchdog.add(self.sock)

        return Connection

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(connection(http.client.HTTPConnection), req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(
                connection(http.client.HTTPSConnection), req, context=self._context
            )

    return urllib.request.build_opener(Handler, SecureHandler)


class _OutOfTime(Exception):
    """The watchdog stopped an attempt (carries the bytes received)."""

    def __init__(self, received, announced):
        super().__init__(received, announced)
        self.received, self.announced = received, announced


class _TruncatedError(OSError):
    """Fewer bytes arrived than ``Content-Length`` announced (transient)."""


def fetch_file(
    remote,
    data_home,
    *,
    download_if_missing=True,
    n_retries=3,
    delay=1.0,
    timeout=DEFAULT_TIMEOUT,
    fetcher="the fetcher",
    verify=None,
    deadline=None,
):
    """Return the local path of ``remote``, downloading it if it is missing.

    Parameters
    ----------
    remote : RemoteFile
        The file.
    data_home : path-like
        The data home (see :func:`~spectra_sklearn.datasets.get_data_home`).
    download_if_missing : bool, default=True
        Whether to download a missing file; if ``False`` a missing file raises.
    n_retries : int, default=3
        Retries after the first attempt, for transient failures only.
    delay : float, default=1.0
        Seconds before the first retry; doubled at each further retry.
    timeout : float, default=60.0
        Seconds to wait for the server at each attempt.
    fetcher : str, default="the fetcher"
        Name of the calling fetcher, used in error messages.
    verify : callable, default=None
        ``verify(data, remote)`` is called with the complete download (bytes,
        kept in memory for it: meant for files of a few MB) before it is
        moved into place; it raises :class:`InvalidFileError` (not retried)
        to refuse the bytes, which are then deleted.
    deadline : Deadline or float, default=None
        The total time of the calling fetcher (a bare float is a
        :func:`time.monotonic` time): no attempt starts after it and a
        running transfer (headers included) is stopped when it passes
        (:class:`DownloadTimeoutError`, not retried); ``None``: no bound
        beyond ``timeout`` per socket operation.

    Returns
    -------
    pathlib.Path
        Absolute path of the file in the data home. An existing file is
        returned as it is (not re-downloaded, not checked, not modified).

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download_if_missing=False``.
    RemoteFileNotFoundError
        If the origin answers 404/410 (no retry).
    ChecksumError
        If the downloaded bytes do not match ``remote.sha256`` (no retry).
    DownloadTimeoutError
        If ``deadline`` passes first (the message names the file and the
        bytes received).
    InvalidFileError
        If ``verify`` refuses the downloaded bytes (no retry).
    DownloadError
        If the download still fails after ``n_retries`` retries (no network,
        time-outs, truncated bodies, server errors), for any other HTTP error,
        or if the data home is not writable.
    """
    home = Path(data_home)
    dest = remote.local_path(home)
    deadline = _as_deadline(deadline, fetcher)
    if dest.is_file():
        return dest
    if not download_if_missing:
        raise FileNotFoundError(
            f"{remote.path!r} is missing from the data home {home} (expected at "
            f"{dest}) and download_if_missing=False. Call {fetcher} with "
            f"download_if_missing=True to download it from {remote.url}, or copy the "
            "file there by hand (any folder laid out like the data home works: pass "
            "data_home= or set SPECTRA_SKLEARN_DATA)."
        )
    last_error = None
    for attempt in range(n_retries + 1):
        if deadline is not None and deadline.left() <= 0:
            raise time_is_up(deadline, remote, home, last_error=last_error)
        if attempt:
            wait = delay * 2 ** (attempt - 1)
            if deadline is not None:
                wait = min(wait, max(0.0, deadline.left()))
            logger.warning(
                "Retrying %s in %.3g s (attempt %d of %d) after: %s",
                remote.url, wait, attempt + 1, n_retries + 1, last_error,
            )
            time.sleep(wait)
        try:
            _download(remote, dest, home, timeout, verify=verify, deadline=deadline)
            return dest
        except _OutOfTime as exc:
            raise time_is_up(deadline, remote, home, exc.received, exc.announced) from None
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code in (404, 410):
                raise RemoteFileNotFoundError(
                    f"{remote.url} does not exist (HTTP {exc.code} {exc.reason}); "
                    f"cannot download {remote.path!r} into the data home {home}."
                ) from None
            if exc.code < 500 and exc.code not in _TRANSIENT_HTTP:
                raise DownloadError(
                    f"Downloading {remote.url} failed with HTTP {exc.code} "
                    f"{exc.reason}; {remote.path!r} was not written to the data home "
                    f"{home}."
                ) from None
            last_error = f"HTTP {exc.code} {exc.reason}"
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            http.client.HTTPException,
            _TruncatedError,
        ) as exc:
            last_error = getattr(exc, "reason", None) or exc
    raise DownloadError(
        f"Could not download {remote.url} after {n_retries + 1} attempt(s) (last "
        f"error: {last_error}). The file is needed at {dest} in the data home {home}. "
        "Check the network connection, or copy the file there by hand (any folder "
        "laid out like the data home works: pass data_home= or set "
        "SPECTRA_SKLEARN_DATA)."
    )


def _download(remote, dest, home, timeout, *, verify=None, deadline=None):
    """One attempt: stream to a temporary file beside ``dest``, verify, move.

    :func:`~spectra_sklearn.utils.atomic_write` removes the temporary file when
    the download fails or the checks below raise, so ``dest`` only ever holds a
    complete, verified file.
    """
    with ExitStack() as stack:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            out = stack.enter_context(atomic_write(dest, "wb"))
        except OSError as exc:
            raise DownloadError(
                f"Cannot write {remote.path!r} into the data home {home}: {exc}. Pass "
                "data_home= (or set SPECTRA_SKLEARN_DATA to) a writable folder to "
                "download missing files."
            ) from None
        digest = hashlib.sha256()
        received, announced = 0, None
        request = urllib.request.Request(
            remote.url, headers={"User-Agent": _USER_AGENT}
        )
        logger.info("Downloading %s to %s", remote.url, dest)
        kept = [] if verify is not None else None
        if deadline is not None:
            timeout = max(0.01, min(timeout, deadline.left()))
        watchdog = _Watchdog(deadline)
        try:
            with _opener(watchdog).open(request, timeout=timeout) as response:
                announced = response.headers.get("Content-Length")
                # read1: return what one read brings, so the deadline is seen
                while chunk := response.read1(_CHUNK):
                    out.write(chunk)
                    if kept is not None:
                        kept.append(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if watchdog.fired:
                        break
        except Exception:
            if watchdog.fired or (deadline is not None and deadline.left() <= 0):
                raise _OutOfTime(received, _length(announced)) from None
            raise
        finally:
            watchdog.cancel()
        if watchdog.fired:
            raise _OutOfTime(received, _length(announced))
        if announced is not None and announced.strip().isdigit():
            if received != int(announced):
                raise _TruncatedError(
                    f"truncated download: received {received} of {int(announced)} "
                    "bytes announced by Content-Length"
                )
        if remote.sha256 is not None and digest.hexdigest() != remote.sha256.lower():
            raise ChecksumError(
                f"The file {remote.path!r} downloaded from {remote.url} has SHA-256 "
                f"{digest.hexdigest()}, but {remote.sha256} is expected: the origin "
                f"copy differs from the published one. Nothing was written to "
                f"{dest}."
            )
        if verify is not None:
            verify(b"".join(kept), remote)


def read_url(url, *, deadline=None, timeout=DEFAULT_TIMEOUT, max_bytes=None, headers=None):
    """GET ``url`` and return its body, within the call's ``deadline``.

    For the small answers a fetcher reads in memory (a search API's JSON):
    the same watchdog as :func:`fetch_file` bounds the whole request, so a
    server trickling its answer cannot hold the call past the deadline.

    Parameters
    ----------
    url : str
        The URL.
    deadline : Deadline, default=None
        The call's total time; ``None``: only ``timeout`` per socket operation.
    timeout : float, default=60.0
        Seconds to wait for the server at each socket operation.
    max_bytes : int, default=None
        Refuse a body longer than this (:class:`DownloadError`).
    headers : dict, default=None
        Extra request headers.

    Returns
    -------
    bytes

    Raises
    ------
    DownloadTimeoutError
        If the deadline passes (the message names the URL and the bytes received).
    DownloadError
        If the body exceeds ``max_bytes``.
    urllib.error.URLError, OSError
        As :func:`urllib.request.urlopen` raises them (no retry here).
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, **(headers or {})})
    if deadline is not None:
        if deadline.left() <= 0:
            raise DownloadTimeoutError(f"{deadline.describe()} before requesting {url}.")
        timeout = max(0.01, min(timeout, deadline.left()))
    watchdog, chunks, received = _Watchdog(deadline), [], 0
    try:
        with _opener(watchdog).open(request, timeout=timeout) as response:
            while not watchdog.fired and (chunk := response.read1(_CHUNK)):
                chunks.append(chunk)
                received += len(chunk)
                if max_bytes is not None and received > max_bytes:
                    raise DownloadError(f"{url} answered more than {max_bytes} bytes.")
    except Exception:
        if not (watchdog.fired or (deadline is not None and deadline.left() <= 0)):
            raise
    finally:
        watchdog.cancel()
    if watchdog.fired or (deadline is not None and deadline.left() <= 0):
        raise DownloadTimeoutError(
            f"{deadline.describe()} while reading {url}: {received} bytes had arrived."
        )
    return b"".join(chunks)


def _length(announced):
    text = (announced or "").strip()
    return int(text) if text.isdigit() else None


def fetch_first(remotes, data_home, **kwargs):
    """Return the first of several candidate origins of one file that exists.

    Some archives keep a file in one of a few places that only a request can
    tell apart (e.g. the SDSS spectra of different pipeline versions). Each
    candidate in turn is tried with :func:`fetch_file`; a 404/410 answer moves
    on to the next one, any other failure is raised at once.

    Parameters
    ----------
    remotes : sequence of RemoteFile
        The candidates, in order; a local copy of any of them is returned
        without a request.
    data_home : path-like
        The data home.
    **kwargs
        Passed to :func:`fetch_file`.

    Returns
    -------
    pathlib.Path
        Local path of the file.

    Raises
    ------
    RemoteFileNotFoundError
        If every candidate answers 404/410 (all URLs are named).
    """
    home = Path(data_home)
    for remote in remotes:
        if remote.local_path(home).is_file():
            return remote.local_path(home)
    if not kwargs.get("download_if_missing", True):
        return fetch_file(remotes[0], home, **kwargs)  # raises FileNotFoundError
    errors = []
    for remote in remotes:
        try:
            return fetch_file(remote, home, **kwargs)
        except RemoteFileNotFoundError as exc:
            errors.append(str(exc))
    raise RemoteFileNotFoundError(
        f"None of the {len(remotes)} candidate origins has the file: "
        + " ".join(errors)
    )
