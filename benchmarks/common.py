"""Shared helpers of the benchmark scripts: timing, peak memory, tables.

The benchmark scripts hold asv-style classes (``setup``, ``time_*``,
``peakmem_*``, as scikit-learn's ``asv_benchmarks``) so that they can be
dropped into an asv suite, and a ``main`` that runs them standalone through
:func:`run_benchmarks`: every ``time_*`` method of every class is timed
*interleaved* (round 1 of each, then round 2 of each, ...) and the best of N
rounds is kept, so that load from other processes on a shared machine hits
all the competitors alike and the *ratios* measured in one run are
meaningful even when the absolute times are noisy.
"""

import gc
import os
import time
import tracemalloc

__all__ = [
    "best_of_interleaved",
    "data_home",
    "peak_memory",
    "plain_torch_proba",
    "print_table",
    "run_benchmarks",
    "single_thread",
    "train_plain_torch",
]


def single_thread():
    """Keep numerical libraries (BLAS, OpenMP, torch) at one thread.

    Call before importing numpy/torch; the machine is shared.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def data_home(override=None):
    """The spectra_sklearn data home (``--data-home`` > ``SPECTRA_SKLEARN_DATA``)."""
    from spectra_sklearn.datasets import get_data_home

    return get_data_home(override)


def best_of_interleaved(functions, repeat=5, warmup=True, clock="wall"):
    """Best time (seconds) of each function over ``repeat`` interleaved rounds.

    Parameters
    ----------
    functions : dict of str to callable
        Zero-argument callables.
    repeat : int, default=5
        Rounds; in each round every function runs once, in order.
    warmup : bool, default=True
        Run each function once, untimed, before the first round (imports,
        caches, lazy initialisation).
    clock : {"wall", "cpu"}, default="wall"
        :func:`time.perf_counter`, or the process CPU time
        (:func:`time.process_time`), which on a shared machine measures the
        benchmark rather than the other jobs.

    Returns
    -------
    dict of str to float
        Minimum time of each function.
    """
    if warmup:
        for fn in functions.values():
            fn()
    now = time.process_time if clock == "cpu" else time.perf_counter
    best = {name: float("inf") for name in functions}
    for _ in range(repeat):
        for name, fn in functions.items():
            gc.collect()
            start = now()
            fn()
            best[name] = min(best[name], now() - start)
    return best


def train_plain_torch(module, tensors, y, *, epochs, loss_fn, lr, weight_decay, batch_size,
                      seed=0):
    """Train ``module`` with a bare PyTorch loop: the floor the skorch estimators are held to.

    AdamW with a cosine schedule over ``epochs``, shuffled mini-batches of
    ``tensors`` (one or several inputs, passed to the module positionally)
    and targets ``y``, as the estimators of :mod:`spectra_sklearn.nn` train.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    loader = DataLoader(TensorDataset(*tensors, y), batch_size=batch_size, shuffle=True)
    module.train()
    for _ in range(epochs):
        for *xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(module(*xb), yb)
            loss.backward()
            optimizer.step()
        schedule.step()
    return module


def plain_torch_proba(module, tensors, batch_size, *, first_output=False):
    """Softmax of ``module``'s outputs on ``tensors`` in chunks, under inference mode."""
    import torch

    module.eval()
    out = []
    with torch.inference_mode():
        for batch in zip(*(torch.split(t, batch_size) for t in tensors)):
            logits = module(*batch)
            out.append(torch.softmax(logits[0] if first_output else logits, dim=1))
    return torch.cat(out).numpy()


def peak_memory(fn):
    """Peak memory (bytes) that Python and numpy allocate while ``fn()`` runs.

    Measured with :mod:`tracemalloc`, which sees numpy's array buffers but not
    memory allocated by torch or by C libraries on their own; run it apart
    from the timings (tracing slows Python down).
    """
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def run_benchmarks(instances, repeat=5, memory=True):
    """Run the ``time_*`` (and ``peakmem_*``) methods of set-up benchmark objects.

    Parameters
    ----------
    instances : dict of str to object
        Label -> benchmark instance whose ``setup`` has already been called.
    repeat : int, default=5
        Interleaved rounds for :func:`best_of_interleaved`.
    memory : bool, default=True
        Also measure every ``peakmem_*`` method with :func:`peak_memory`.

    Returns
    -------
    times : dict of str to float
        ``"<label>.<method>"`` -> best seconds.
    peaks : dict of str to int
        ``"<label>.<method>"`` -> peak bytes (empty when ``memory`` is False).
    """
    timed = {
        f"{label}.{name}": getattr(obj, name)
        for label, obj in instances.items()
        for name in sorted(dir(obj))
        if name.startswith("time_")
    }
    times = best_of_interleaved(timed, repeat=repeat)
    peaks = {}
    if memory:
        for label, obj in instances.items():
            for name in sorted(dir(obj)):
                if name.startswith("peakmem_"):
                    peaks[f"{label}.{name}"] = peak_memory(getattr(obj, name))
    return times, peaks


def print_table(headers, rows, title=None):
    """Print ``rows`` (lists of str/number) under ``headers`` as a text table."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [
        max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h))
        for i, h in enumerate(headers)
    ]
    if title:
        print(title)
    # text columns left-aligned, number columns right-aligned
    numeric = [
        bool(rows) and all(isinstance(row[i], (int, float)) for row in rows)
        for i in range(len(headers))
    ]
    line = "  ".join(str(h).rjust(w) if num else str(h).ljust(w)
                     for h, w, num in zip(headers, widths, numeric))
    print(line.rstrip())
    print("-" * len(line))
    for row in cells:
        print("  ".join(c.rjust(w) if num else c.ljust(w)
                        for c, w, num in zip(row, widths, numeric)).rstrip())
    print()


def _fmt(value):
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        if abs(value) >= 0.01:
            return f"{value:#.3g}" if abs(value) < 1 else f"{value:.2f}"
        return f"{value:.2e}"
    return str(value)
