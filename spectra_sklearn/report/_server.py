"""The lookup server: a catalogue too big for one page, served on demand with Flask.

Routes (all ``GET``; ids are query data, bound as SQL parameters):

- ``/``: the object viewer (the report page, fetching from the routes below);
- ``/api/lookup/<id>``: the objects with that exact id; 404 with
  ``{"not_found": true, "closest": [...]}`` when there is none;
- ``/api/search?q=...&plate=&mjd=&fiberid=``: candidates for a partial id;
- ``/api/object/<row>``: one object with its spectrum, read from its file now
  (a file that has gone is said so, with the prediction still shown);
- ``/api/cell?true=&pred=``: the objects of one confusion-matrix cell;
- ``/api/summary``: accuracy, per-class scores, confusion matrix, reliability,
  misclassified objects.
"""

import os

from ._catalog import ID_COLUMNS, Catalog
from ._encode import encode_spectrum_object

__all__ = ["create_app", "make_server"]


def _brief(row):
    ids = {k: str(row[k]) for k in ID_COLUMNS + ("plate", "mjd", "fiberid") if k in row}
    return {"key": row["row"], "name": row.get("name") or row.get("object_id") or str(row["row"]),
            "ids": ids, "y_true": row.get("y_true"), "y_pred": row.get("y_pred"),
            "p_max": row.get("p_max")}


def _read(row, max_points):
    """``(encoded spectrum or None, what went wrong or None)`` for a catalogue row."""
    path = row.get("path")
    if not path:
        return None, "the catalogue has no spectrum file for this object"
    if not os.path.exists(path):
        return None, f"the spectrum file {path} is gone (not found); the prediction is " \
                     "from the catalogue"
    from ..io import read_spectrum

    try:
        spectrum = read_spectrum(path, format=row.get("format"))
    except Exception as exc:  # any unreadable file: say which and why, keep the prediction
        return None, f"the spectrum file {path} could not be read ({exc})"
    return encode_spectrum_object(spectrum, max_points), None


def create_app(catalog, *, title=None, max_points=1000):
    """The Flask application serving ``catalog``.

    Parameters
    ----------
    catalog : str, os.PathLike or Catalog
        A catalogue written by :func:`~spectra_sklearn.report.write_catalog`.
    title : str, default=None
        Page title (default: the catalogue's file name).
    max_points : int, default=1000
        Pixels per spectrum sent to the page.

    Returns
    -------
    flask.Flask
    """
    from flask import Flask, abort, jsonify, request

    from ._html import page_html

    cat = catalog if isinstance(catalog, Catalog) else Catalog(catalog)
    app = Flask(__name__)
    app.json.sort_keys = False
    page = page_html(title=title or f"{cat.path.name}: {len(cat):,} objects", mode="server")

    @app.get("/")
    def index():
        return page, 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.get("/api/lookup/<path:id>")
    def lookup(id):
        found = cat.lookup(id)
        if not found:
            return jsonify(not_found=True, id=id, closest=cat.closest_ids(id)), 404
        return jsonify(id=id, matches=[_brief(r) for r in found])

    @app.get("/api/search")
    def search():
        q = request.args.get("q", "")
        fields = {k: request.args.get(k, "").strip() for k in ("plate", "mjd", "fiberid")}
        given = {k: v for k, v in fields.items() if v}
        bad = [k for k, v in given.items() if not v.isdigit()]
        if bad:
            return jsonify(matches=[], exact=False, closest=[],
                           error=f"{', '.join(bad)} must be whole numbers"), 400
        exact = cat.lookup(q) if q.strip() else []
        if given:
            rows = cat.lookup_sdss(**given)
            is_exact = len(given) == 3
        elif exact:
            rows, is_exact = exact, True
        else:
            rows, is_exact = cat.search(q, limit=50), False
        closest = [] if rows or not q.strip() else cat.closest_ids(q)
        return jsonify(matches=[_brief(r) for r in rows[:50]], exact=is_exact, closest=closest)

    @app.get("/api/object/<int:row>")
    def object_view(row):
        found = cat.get(row)
        if found is None:
            abort(404)
        spectrum, problem = _read(found, max_points)
        return jsonify(
            key=found["row"], ids=_brief(found)["ids"], y_true=found.get("y_true"),
            y_pred=found.get("y_pred"), proba=found.get("proba"),
            branches=found.get("branches") or {}, status=found.get("status", "ok"),
            error=found.get("error"), spectrum=spectrum, spectrum_error=problem, saliency=None)

    @app.get("/api/cell")
    def cell():
        t, p = request.args.get("true", ""), request.args.get("pred", "")
        rows = cat._conn.execute(
            "SELECT * FROM objects WHERE y_true = ? AND y_pred = ? AND status = 'ok' "
            "ORDER BY p_max DESC, row LIMIT 500", (t, p)).fetchall()
        total = cat._conn.execute(
            "SELECT count(*) FROM objects WHERE y_true = ? AND y_pred = ? AND status = 'ok'",
            (t, p)).fetchone()[0]
        return jsonify(total=total, matches=[_brief(cat._as_dict(r)) for r in rows])

    @app.get("/api/summary")
    def summary():
        s = dict(cat.summary())
        s["misclassified"] = [_brief(r) for r in s["misclassified"]]
        return jsonify(s)

    @app.errorhandler(404)
    def not_found(error):
        return jsonify(not_found=True, error="not found"), 404

    return app


def make_server(catalog, host="127.0.0.1", port=8050, **kwargs):
    """A threaded WSGI server (werkzeug) of :func:`create_app` bound to ``host:port``.

    ``port=0`` picks a free port (``server.server_port``). Call
    ``serve_forever()`` to run it and ``shutdown()`` from another thread to stop.
    """
    from werkzeug.serving import make_server as _make_server

    return _make_server(host, port, create_app(catalog, **kwargs), threaded=True)
