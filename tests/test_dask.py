"""GridSearchCV over our pipelines on a dask.distributed cluster (joblib's dask backend).

A LocalCluster of 2 worker *processes* bound to 127.0.0.1 stands in for a real
cluster: every estimator, transformer and spectrum batch is pickled to the
workers and the results pickled back, as on dask-jobqueue or Kubernetes (see
docs/scaling.md).
"""

import os

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (pip install 'dask[distributed]')"
)
import joblib  # noqa: E402

from spectra_sklearn.datasets import load_spex_sample  # noqa: E402
from spectra_sklearn.pipelines import make_spex_pipeline  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=40,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def spex():
    data = load_spex_sample()
    # every third spectrum (100 of 300, all three classes): small and fast
    keep = np.arange(0, len(data.target_class), 3)
    return data.data[keep], data.target_class[keep], data.groups[keep], data.filenames[keep]


def _probes():
    """Scorers recording the process id and the torch thread count where a candidate is scored.

    Made in a function so that cloudpickle sends them by value: the workers
    cannot import this test module.
    """

    def pid(estimator, X, y=None):
        import os

        return float(os.getpid())

    def torch_threads(estimator, X, y=None):
        import torch

        return float(torch.get_num_threads())

    return {"pid": pid, "threads": torch_threads}


def _search(estimator, grid, X, y, groups, backend=None):
    # locally in this process (n_jobs=None); on the cluster, all its workers (n_jobs=-1)
    search = GridSearchCV(
        estimator, grid, cv=StratifiedGroupKFold(n_splits=3),
        n_jobs=None if backend is None else -1,
        scoring={"accuracy": "accuracy", **_probes()}, refit="accuracy",
    )
    if backend is None:
        return search.fit(X, y, groups=groups)
    with joblib.parallel_backend(backend):
        return search.fit(X, y, groups=groups)


def _assert_same(a, b):
    for key in ("mean_test_accuracy", "split0_test_accuracy", "split2_test_accuracy"):
        np.testing.assert_allclose(a.cv_results_[key], b.cv_results_[key])
    assert a.best_params_ == b.best_params_
    np.testing.assert_array_equal(a.cv_results_["rank_test_accuracy"],
                                  b.cv_results_["rank_test_accuracy"])


def test_svc_pipeline_on_files_same_on_cluster_as_locally(client, spex):
    _, y, groups, filenames = spex
    # X is file paths: each worker reads the FITS files of its fold itself
    grid = {"spectralresampler__n_pixels": [64, 128]}
    n_candidates = 2
    pipe = make_spex_pipeline(model="svc")
    on_cluster = _search(pipe, grid, filenames, y, groups, backend="dask")
    local = _search(pipe, grid, filenames, y, groups)
    _assert_same(on_cluster, local)
    assert on_cluster.best_score_ > 0.8
    # the candidates were fitted and scored in the workers' processes
    worker_pids = set(client.run(os.getpid).values())
    pids = {on_cluster.cv_results_[f"split{k}_test_pid"][i]
            for k in range(3) for i in range(n_candidates)}
    assert pids <= worker_pids and os.getpid() not in pids


def test_cnn_pipeline_one_torch_thread_per_worker(client, spex):
    X, y, groups, _ = spex
    pipe = make_spex_pipeline(max_epochs=2, n_threads=1)
    pipe.set_params(spectrumcnnclassifier__n_filters=4, spectrumcnnclassifier__n_blocks=2)
    grid = {"spectrumcnnclassifier__lr": [1e-3, 3e-3]}
    on_cluster = _search(pipe, grid, X, y, groups, backend="dask")
    local = _search(pipe, grid, X, y, groups)
    # deterministic training (random_state=0, one thread): identical scores
    _assert_same(on_cluster, local)
    # every candidate was scored in a worker whose torch uses one thread
    for k in range(3):
        np.testing.assert_array_equal(on_cluster.cv_results_[f"split{k}_test_threads"], 1.0)
    import torch

    assert set(client.run(torch.get_num_threads).values()) == {1}
