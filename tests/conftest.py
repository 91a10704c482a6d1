"""Shared fixtures: the real-data home and single-threaded torch."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests assert behaviour, not speed: no per-example deadline (a loaded
# 2-core CI machine would otherwise fail them at random). Under CI=true the
# examples are derandomised so a red run can be replayed exactly.
settings.register_profile(
    "spectra_sklearn",
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("spectra_sklearn")

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    # Two cores: one torch thread per process is fastest and steadiest.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data():
    """The real data folder laid out like ``../shared/data``.

    Taken from ``SPECTRA_SKLEARN_DATA`` (CI exports it), else ``../shared/data``
    beside the repository. Tests needing it are skipped, with the reason, when
    neither exists.
    """
    env = os.environ.get("SPECTRA_SKLEARN_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "data")
    for path in candidates:
        if (path / "spex_prism").is_dir():
            return path.resolve()
    pytest.skip(
        "real data not found: set SPECTRA_SKLEARN_DATA to a folder laid out like "
        "../shared/data"
    )
