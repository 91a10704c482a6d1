"""Pipeline caching (``memory=``) under GridSearchCV: how often reading and resampling run.

A grid search fits every candidate on every fold. Without caching, a Pipeline
whose first steps read and resample the spectra repeats that work for every
candidate, although the steps' parameters -- and so their output on a fold --
do not change between candidates that differ only in the classifier.
``Pipeline(memory=joblib.Memory(folder))`` caches each step's ``fit_transform``
by its parameters and input, so they run once per fold.

Competitors, on the 300 SpeX files of :func:`~spectra_sklearn.datasets.load_spex_sample`
(``X`` = file paths), reader -> resampler (256 log pixels) -> J-band normaliser
-> SVC, ``GridSearchCV(cv=StratifiedGroupKFold(5), n_jobs=1)`` over 4 values of
``C`` x 3 of ``gamma`` (12 candidates, 60 fits):

- ``memory=None``: every step runs in every fit;
- ``memory=Memory``: a fresh cache folder per search (so its cost of filling
  the cache and hashing the inputs is included);
- ``Memory + reader memory``: also ``SpectrumReader(memory=Memory)``, which
  caches the files read by every call -- the test folds' ``transform`` too,
  so each fold's files are parsed once for all candidates;
- ``read once + Memory``: the files read once before the search (``X`` a
  :class:`~spectra_sklearn.SpectrumBatch`), the resampler and normaliser
  cached -- what to do when the spectra fit in memory.

Counting wrappers around the reader and the resampler record how many times
each runs, and on how many spectra, in ``fit``/``fit_transform`` (training)
and in ``transform`` during scoring (predicting on the test fold, which
the Pipeline's ``memory=`` does not cache); "files parsed" counts the files
actually opened and decoded. It also times :func:`joblib.hash` of the batches
that the cache keys are made of.

Run from the repository root with the venv active::

    python benchmarks/bench_pipeline_cache.py [--repeat 3]
"""

import argparse
import collections
import shutil
import sys
import tempfile
import time

try:  # as part of an asv suite (benchmarks/ is the package)
    from .common import best_of_interleaved, print_table, single_thread
except ImportError:  # run as a script
    from common import best_of_interleaved, print_table, single_thread

single_thread()

import joblib  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from spectra_sklearn.datasets import load_spex_sample  # noqa: E402
from spectra_sklearn.io import SpectrumReader, _reader  # noqa: E402
from spectra_sklearn.preprocessing import ContinuumNormalizer, SpectralResampler  # noqa: E402

GRID = {"svc__C": [0.1, 1.0, 10.0, 100.0], "svc__gamma": ["scale", 0.1, 1.0]}
CALLS = collections.Counter()


class CountingReader(SpectrumReader):
    """SpectrumReader counting its calls and the spectra it reads."""

    def fit_transform(self, X, y=None, **params):
        CALLS["read (fit)"] += 1
        CALLS["read (fit) spectra"] += len(X)
        return self.fit(X, y).transform(X)

    def transform(self, X):
        CALLS["read"] += 1
        CALLS["read spectra"] += len(X)
        return super().transform(X)


_read_each = _reader.read_each


def _counting_read_each(paths, *args, **kwargs):
    CALLS["files parsed"] += len(paths)
    return _read_each(paths, *args, **kwargs)


_reader.read_each = _counting_read_each


class CountingResampler(SpectralResampler):
    """SpectralResampler counting its calls and the spectra it resamples."""

    def fit_transform(self, X, y=None, **params):
        CALLS["resample (fit)"] += 1
        return self.fit(X, y).transform(X)

    def transform(self, X):
        CALLS["resample"] += 1
        CALLS["resample spectra"] += len(X)
        return super().transform(X)


def make_pipeline(memory, read=True, reader_memory=False):
    steps = [
        ("resample", CountingResampler(wavelength_min=0.65, wavelength_max=2.45,
                                       n_pixels=256, spacing="log", fill="edge")),
        ("normalise", ContinuumNormalizer(method="window", window=(1.2, 1.3))),
        ("svc", SVC()),
    ]
    if read:
        steps.insert(0, ("read", CountingReader(format="spex",
                                                memory=memory if reader_memory else None)))
    return Pipeline(steps, memory=memory)


class CacheBench:
    """One grid search; ``cached`` and ``read_once`` choose the competitor."""

    def __init__(self, cached, read_once=False, reader_memory=False):
        self.cached = cached
        self.read_once = read_once
        self.reader_memory = reader_memory

    def setup(self, spex):
        self.X = spex.data if self.read_once else list(spex.filenames)
        self.y = spex.target_class
        self.groups = spex.groups

    def time_search(self):
        folder = tempfile.mkdtemp(prefix="spectra_sklearn_cache_") if self.cached else None
        try:
            memory = joblib.Memory(folder, verbose=0) if folder else None
            search = GridSearchCV(make_pipeline(memory, read=not self.read_once,
                                                reader_memory=self.reader_memory), GRID,
                                  cv=StratifiedGroupKFold(n_splits=5), n_jobs=1)
            search.fit(self.X, self.y, groups=self.groups)
        finally:
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
        self.best_score = search.best_score_
        return search


def count_calls(bench):
    CALLS.clear()
    bench.time_search()
    return dict(CALLS)


def time_hash(obj, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        joblib.hash(obj)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    spex = load_spex_sample()
    benches = {
        "memory=None": CacheBench(cached=False),
        "memory=Memory": CacheBench(cached=True),
        "Memory + reader memory": CacheBench(cached=True, reader_memory=True),
        "read once + Memory": CacheBench(cached=True, read_once=True),
    }
    for bench in benches.values():
        bench.setup(spex)

    n_candidates = len(GRID["svc__C"]) * len(GRID["svc__gamma"])
    counts = {label: count_calls(bench) for label, bench in benches.items()}
    scores = {label: bench.best_score for label, bench in benches.items()}
    assert len(set(scores.values())) == 1, f"caching changed the result: {scores}"
    times = best_of_interleaved({k: b.time_search for k, b in benches.items()},
                                repeat=args.repeat, warmup=False)

    rows = []
    for label in benches:
        c = counts[label]
        rows.append([
            label,
            c.get("read (fit)", 0), c.get("read (fit) spectra", 0),
            c.get("read", 0) - c.get("read (fit)", 0), c.get("files parsed", 0),
            c.get("resample (fit)", 0),
            c.get("resample", 0) - c.get("resample (fit)", 0),
            times[label], times[label] / times["memory=None"],
        ])
    print_table(
        ["pipeline", "reads (train)", "files read (train)", "reads (score)", "files parsed",
         "resamples (train)", "resamples (score)", "search s", "time / no cache"],
        rows,
        title=(f"GridSearchCV: {n_candidates} candidates x 5 folds = {5 * n_candidates} fits "
               f"on {len(spex.target_class)} SpeX files; best of {args.repeat} interleaved "
               f"rounds; best CV accuracy {scores['memory=None']:.3f} in all"),
    )
    ragged = spex.data
    grid = make_pipeline(None, read=False)[:2].fit_transform(ragged)
    print_table(
        ["object hashed (joblib.hash)", "ms", "MB pickled"],
        [["SpeX sample as read (ragged, 300 spectra)", 1e3 * time_hash(ragged),
          len(joblib.numpy_pickle.pickle.dumps(ragged)) / 1e6],
         ["after resampling + normalising (300 x 256)", 1e3 * time_hash(grid),
          len(joblib.numpy_pickle.pickle.dumps(grid)) / 1e6],
         ["the 300 file paths", 1e3 * time_hash(list(spex.filenames)),
          len(joblib.numpy_pickle.pickle.dumps(list(spex.filenames))) / 1e6]],
        title="Cost of the cache keys",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
