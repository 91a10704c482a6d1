"""Training and prediction cost of SpectrumCNNClassifier vs plain PyTorch.

Both sides use the same network class
(:class:`spectra_sklearn.nn._modules.SpectrumCNNModule`, default
architecture), the same input standardisation, AdamW (lr 1e-3, weight decay
1e-2), cross-entropy, batches of 64 shuffled spectra, float32 and one torch
thread, on 2,000 synthetic spectra of 256 pixels in 3 classes:

- ``fit``: ``SpectrumCNNClassifier(...).fit(X, y)`` (parameter validation,
  label encoding, skorch's training loop and history) vs a hand-written
  ``for epoch / for batch`` loop;
- ``predict_proba``: ours (validation, skorch forward in batches, softmax)
  vs ``module.eval()`` + ``torch.no_grad()`` forward over the same batches.

The overhead ratio is what this measures; both train the same model.

Run from the repository root with the venv active::

    python benchmarks/bench_cnn.py [--n-spectra 2000] [--epochs 3] [--repeat 3]
"""

import argparse
import sys

try:  # as part of an asv suite (benchmarks/ is the package)
    from .common import print_table, run_benchmarks, single_thread
except ImportError:  # run as a script
    from common import print_table, run_benchmarks, single_thread

single_thread()

import numpy as np  # noqa: E402
import torch  # noqa: E402

N_PIXELS = 256
BATCH_SIZE = 64
LR = 1e-3
WEIGHT_DECAY = 1e-2


def synthetic_classes(n_spectra=2000, seed=0):
    """Spectra of 256 pixels in 3 classes (an absorption band at 3 places)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_spectra)
    pixels = np.arange(N_PIXELS)
    centre = np.array([60.0, 128.0, 196.0])[y] + rng.normal(0, 8, n_spectra)
    slope = rng.normal(0, 0.3, (n_spectra, 1))
    X = 1.0 + slope * (pixels / N_PIXELS - 0.5)
    X -= 0.4 * np.exp(-0.5 * ((pixels - centre[:, None]) / 6.0) ** 2)
    X += rng.normal(0, 0.05, X.shape)
    return X, np.array(["M", "L", "T"])[y]


class _CNNBench:
    n_spectra = 2000
    epochs = 3

    def setup(self):
        torch.set_num_threads(1)
        self.X, self.y = synthetic_classes(self.n_spectra)


class OursCNN(_CNNBench):
    """SpectrumCNNClassifier (skorch inside)."""

    def setup(self):
        from spectra_sklearn.nn import SpectrumCNNClassifier

        super().setup()
        self.make = lambda: SpectrumCNNClassifier(
            max_epochs=self.epochs, batch_size=BATCH_SIZE, lr=LR,
            weight_decay=WEIGHT_DECAY, random_state=0, n_threads=1,
        )
        self.fitted = self.make().fit(self.X, self.y)

    def time_fit(self):
        self.make().fit(self.X, self.y)

    def time_predict_proba(self):
        self.fitted.predict_proba(self.X)


class PlainTorchCNN(_CNNBench):
    """The same module trained by a bare PyTorch loop."""

    def setup(self):
        super().setup()
        self.classes, y = np.unique(self.y, return_inverse=True)
        self.X_t = torch.as_tensor(self.X, dtype=torch.float32)
        self.y_t = torch.as_tensor(y, dtype=torch.int64)
        # the same robust input scaling SpectrumCNNClassifier measures in fit
        q25, median, q75 = np.percentile(self.X, [25, 50, 75])
        self.shift, self.scale = float(median), float((q75 - q25) / 1.349)
        self.fitted = self._train()

    def _train(self):
        from torch.utils.data import DataLoader, TensorDataset

        from spectra_sklearn.nn._modules import SpectrumCNNModule

        torch.manual_seed(0)
        module = SpectrumCNNModule(
            n_outputs=len(self.classes), pooled_length=16,
            input_shift=self.shift, input_scale=self.scale,
        )
        optimizer = torch.optim.AdamW(module.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        loss_fn = torch.nn.CrossEntropyLoss()
        loader = DataLoader(TensorDataset(self.X_t, self.y_t), batch_size=BATCH_SIZE,
                            shuffle=True)
        module.train()
        for _ in range(self.epochs):
            for xb, yb in loader:
                optimizer.zero_grad()
                loss = loss_fn(module(xb), yb)
                loss.backward()
                optimizer.step()
        return module

    def time_fit(self):
        self._train()

    def predict_proba(self):
        module = self.fitted
        module.eval()
        with torch.no_grad():
            out = [torch.softmax(module(xb), dim=1)
                   for xb in torch.split(self.X_t, BATCH_SIZE)]
        return torch.cat(out).numpy()

    def time_predict_proba(self):
        self.predict_proba()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-spectra", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved rounds, best kept (default 3)")
    args = parser.parse_args(argv)
    _CNNBench.n_spectra = args.n_spectra
    _CNNBench.epochs = args.epochs
    torch.set_num_threads(1)

    benches = {"ours": OursCNN(), "plain torch": PlainTorchCNN()}
    for obj in benches.values():
        obj.setup()
    ours, plain = benches["ours"], benches["plain torch"]
    accuracy = (
        np.mean(ours.fitted.predict(ours.X) == ours.y),
        np.mean(plain.classes[plain.predict_proba().argmax(axis=1)] == plain.y),
    )
    # torch allocations are invisible to tracemalloc: no peak memory here.
    times, _ = run_benchmarks(benches, repeat=args.repeat, memory=False)
    n = args.n_spectra
    rows = []
    for what in ("fit", "predict_proba"):
        t_ours = times[f"ours.time_{what}"]
        t_plain = times[f"plain torch.time_{what}"]
        per = n * (args.epochs if what == "fit" else 1)
        unit = "ms / 1000 spectrum-epochs" if what == "fit" else "ms / 1000 spectra"
        rows.append([what, unit, 1e6 * t_ours / per, 1e6 * t_plain / per, t_ours / t_plain])
    print_table(
        ["step", "unit", "ours", "plain torch", "ours / plain"], rows,
        title=(f"SpectrumCNNClassifier vs plain PyTorch, {n} x {N_PIXELS} spectra, "
               f"{args.epochs} epochs, batch {BATCH_SIZE}, 1 thread; best of "
               f"{args.repeat} interleaved rounds"),
    )
    print(f"training accuracy after {args.epochs} epochs: ours {accuracy[0]:.3f}, "
          f"plain torch {accuracy[1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
