"""A local HTTP origin for the download tests (127.0.0.1 only, never the network)."""

import threading
import time
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["Requests", "serve"]

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Rate limit</title></head>"
    b"<body><h1>Too many requests</h1><p>Try again later.</p></body></html>\n"
)


class Requests(list):
    """The paths requested, in order; ``max_active``: most answered at once."""

    def __init__(self):
        super().__init__()
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def enter(self, path):
        with self.lock:
            self.append(path)
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def leave(self):
        with self.lock:
            self.active -= 1


@contextmanager
def serve(directory, *, truncate_by=0, trickle=None, hold=0.0, html=False, body=None):
    """Serve ``directory`` on 127.0.0.1; yield (base URL, :class:`Requests`).

    Parameters
    ----------
    directory : path-like
        The files served (their URL path is their path under it).
    truncate_by : int, default=0
        Send every file with a ``Content-Length`` larger than the body by that
        many bytes, then close the connection.
    trickle : float, default=None
        Send the body one byte every ``trickle`` seconds (with the true
        ``Content-Length``), as a stalled or hostile server would.
    hold : float, default=0.0
        Wait that long before answering (counts as an active request), so
        that concurrent downloads overlap.
    html : bool, default=False
        Answer every request with an HTML error page and status 200.
    body : bytes, default=None
        Answer every request, whatever its path, with these bytes (status 200).
    """
    requests = Requests()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.enter(self.path)
            try:
                if hold:
                    time.sleep(hold)
                if html:
                    return self._send(HTML_PAGE, len(HTML_PAGE), "text/html")
                if body is not None:
                    return self._send(body, len(body) + truncate_by)
                if not (truncate_by or trickle):
                    return super().do_GET()
                path = Path(self.translate_path(self.path))
                if not path.is_file():
                    return self.send_error(404)
                data = path.read_bytes()
                return self._send(data, len(data) + truncate_by)
            finally:
                requests.leave()

        def _send(self, body, length, kind="application/octet-stream"):
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if trickle:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(trickle)
            else:
                self.wfile.write(body)
            self.close_connection = True

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # the client hanging up on a trickled or truncated answer

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
