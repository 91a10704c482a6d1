"""Looking an object up by id in a 1,000,000-row catalogue: the Catalog API and the server.

The catalogue is built from real predictions: an RBF SVC (the ``spex`` preset,
with sigmoid-calibrated probabilities) fitted on the SpeX sample embedded in the package
predicts its 300 spectra, and the 300 rows are repeated until there are
``--n-rows`` (default 1,000,000), each repeat with its own ids (file name,
path, ``SOURCE_KEY``, ``DATA_KEY`` get a ``-<repeat>`` suffix). SpeX files have
no SDSS ids, so each row also gets a distinct ``PLATE-MJD-FIBERID``
(plate = 3000 + repeat, MJD 55000, fibre = row in the repeat) to time the SDSS
lookup path on the same rows. The catalogue is written with
:class:`~spectra_sklearn.report.CatalogWriter` in chunks of 50,000 rows.

Then, for each id kind, ``--n-lookups`` random ids (and as many unknown ids,
which answer "not found" with the closest ids) are looked up:

- through :meth:`Catalog.lookup` (in process);
- through the lookup server (Flask on werkzeug, started for real on
  127.0.0.1 in a thread): ``GET /api/lookup/<id>`` with :mod:`urllib`, a new
  connection per request, as a browser or script would;

and the p50 / p99 latencies are printed (target: <= 50 ms). The peer, timed in
the same run, is the same query without the index (``NOT INDEXED``: a scan of
the table), a few times, to show what the indexes buy. Run from the
repository root with the venv active::

    python benchmarks/bench_lookup.py [--n-rows 1000000] [--n-lookups 300] [--keep DIR]
"""

import argparse
import logging
import random
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

try:  # as part of an asv suite (benchmarks/ is the package)
    from .common import print_table, single_thread
except ImportError:  # run as a script
    from common import print_table, single_thread

single_thread()

KINDS = ("name", "path", "source_key", "data_key", "sdss_id")


def real_rows():
    """``(classes, rows)``: the SVC's predictions of the embedded SpeX sample."""
    from spectra_sklearn.datasets import load_spex_sample
    from spectra_sklearn.pipelines import make_spex_pipeline
    from spectra_sklearn.report._collect import collect_predictions

    sample = load_spex_sample()
    from sklearn.calibration import CalibratedClassifierCV

    model = make_spex_pipeline(model="svc")
    name, svc = model.steps[-1]
    model.steps[-1] = (name, CalibratedClassifierCV(svc, ensemble=False))
    model.fit(list(sample.filenames), sample.target_class)
    data = collect_predictions(model, list(sample.filenames), sample.target_class,
                               saliency=False)
    return data.classes, data.rows


def repeated(rows, repeat):
    """The rows of one repeat, ids made unique."""
    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        for key in ("name", "path", "source_key", "data_key"):
            row[key] = f"{row[key]}-{repeat}"
        row.update(plate=3000 + repeat, mjd=55000, fiberid=i + 1)
        row.pop("sdss_id", None)
        out.append(row)
    return out


def build(path, classes, rows, n_rows, chunk=50_000):
    from spectra_sklearn.report import CatalogWriter

    start = time.perf_counter()
    pending, repeat = [], 0
    with CatalogWriter(path, classes=classes, info={"benchmark": "bench_lookup"}) as writer:
        while writer.n_rows + len(pending) < n_rows:
            pending += repeated(rows, repeat)
            repeat += 1
            if len(pending) >= chunk:
                writer.append(pending[:chunk])
                pending = pending[chunk:]
        writer.append(pending[: n_rows - writer.n_rows])
    return time.perf_counter() - start


def sample_ids(catalog, n, seed=0):
    """``{kind: [ids]}``: ``n`` ids of each kind from random rows, and unknown ones."""
    rng = random.Random(seed)
    total = len(catalog)
    rows = [catalog.get(rng.randint(1, total)) for _ in range(n)]
    ids = {kind: [str(r[kind]) for r in rows] for kind in KINDS}
    ids["unknown"] = [f"{r['name']}-missing" for r in rows]
    return ids


def percentiles(values):
    values = sorted(values)
    return (values[len(values) // 2] * 1e3,
            values[min(len(values) - 1, int(0.99 * len(values)))] * 1e3)


def time_calls(fn, ids):
    fn(ids[0])  # warm
    times = []
    for text in ids:
        start = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - start)
    return percentiles(times)


def http_lookup(base):
    def get(text):
        url = f"{base}/api/lookup/{urllib.parse.quote(text, safe='')}"
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                r.read()
        except urllib.error.HTTPError as err:  # 404: not found, with the closest ids
            err.read()
    return get


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-rows", type=int, default=1_000_000)
    parser.add_argument("--n-lookups", type=int, default=300)
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the catalogue in this folder and keep it")
    args = parser.parse_args(argv)

    from spectra_sklearn.report import Catalog
    from spectra_sklearn.report._server import make_server

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_lookup_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"catalog_{args.n_rows}.sqlite"
    try:
        classes, rows = real_rows()
        if path.exists():
            path.unlink()
        seconds = build(path, classes, rows, args.n_rows)
        size = path.stat().st_size / 1e6
        print(f"catalogue: {args.n_rows:,} rows ({len(rows)} real predictions repeated), "
              f"{size:.0f} MB, written in {seconds:.1f} s "
              f"({args.n_rows / seconds:,.0f} rows/s)\n")
        catalog = Catalog(path)
        ids = sample_ids(catalog, args.n_lookups)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        server = make_server(path, host="127.0.0.1", port=0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        get = http_lookup(f"http://127.0.0.1:{server.server_port}")
        table = []
        for kind, values in ids.items():
            api = time_calls(catalog.lookup if kind != "unknown" else
                             lambda t: catalog.lookup(t) or catalog.closest_ids(t), values)
            http = time_calls(get, values)
            table.append([kind, *api, *http, "yes" if max(api[1], http[1]) <= 50 else "NO"])
        prefix = [v[: len(v) // 2] for v in ids["name"]]
        api = time_calls(lambda t: catalog.search(t, limit=20), prefix)
        table.append(["search (half a name)", *api, float("nan"), float("nan"),
                      "yes" if api[1] <= 50 else "NO"])
        server.shutdown()
        server.server_close()
        print_table(["id kind", "API p50 ms", "API p99 ms", "HTTP p50 ms", "HTTP p99 ms",
                     "p99 <= 50 ms"], table,
                    title=f"lookup latency, {args.n_lookups} random ids per kind")
        conn = catalog._conn
        scan = time_calls(lambda t: conn.execute(
            "SELECT * FROM objects NOT INDEXED WHERE name = ?", (t,)).fetchall(),
            ids["name"][:5])
        indexed = time_calls(lambda t: conn.execute(
            "SELECT * FROM objects WHERE name = ?", (t,)).fetchall(), ids["name"])
        print_table(["query by name", "p50 ms", "ratio to indexed"],
                    [["indexed (ours)", indexed[0], 1.0],
                     ["NOT INDEXED (table scan)", scan[0], scan[0] / indexed[0]]],
                    title="the peer: the same query without the index (5 ids)")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
