"""Training and prediction cost of SpectrumCNNClassifier vs plain PyTorch.

Both sides use the same network class
(:class:`spectra_sklearn.nn.modules.SpectrumCNNModule`, the estimator's
default architecture: 3 residual dilated blocks of 16/32/64 channels, pooling
to 16 bins), the same input standardisation, AdamW (lr 1e-3, weight decay
1e-2) with a cosine learning-rate schedule, cross-entropy, batches of 64
shuffled spectra, float32 and one torch thread, on synthetic spectra in 3
classes (by default 10,000 spectra of 1,000 pixels, the sizes of issue 5):

- ``fit``: ``SpectrumCNNClassifier(...).fit(X, y)`` (parameter validation,
  label encoding, robust input scaling, skorch's training loop, history and
  learning-rate scheduler) vs a hand-written ``for epoch / for batch`` loop;
- ``predict_proba``: ours (validation, float32 cast, forward in chunks of
  512 spectra under ``torch.inference_mode``, softmax) vs ``module.eval()`` +
  ``torch.inference_mode()`` forward + softmax over the same 512-spectrum
  batches of an already-made float32 tensor.

The overhead ratios are what this measures; both train the same model.
Times are CPU time of the process by default (``--clock cpu``; everything
runs on one thread), which on a shared machine is far less noisy than wall
time; ``--clock wall`` gives wall time instead.

Run from the repository root with the venv active::

    python benchmarks/bench_cnn.py            # 10,000 x 1,000, 1 epoch
    python benchmarks/bench_cnn.py --quick    # 2,000 x 256, 2 epochs
"""

import argparse
import sys

try:  # as part of an asv suite (benchmarks/ is the package)
    from .common import (
        best_of_interleaved,
        plain_torch_proba,
        print_table,
        single_thread,
        train_plain_torch,
    )
except ImportError:  # run as a script
    from common import (
        best_of_interleaved,
        plain_torch_proba,
        print_table,
        single_thread,
        train_plain_torch,
    )

single_thread()

import numpy as np  # noqa: E402
import torch  # noqa: E402

BATCH_SIZE = 64
PREDICT_BATCH = 512  # spectra per forward pass of SpectrumCNNClassifier.predict_proba
LR = 1e-3
WEIGHT_DECAY = 1e-2


def synthetic_classes(n_spectra=10_000, n_pixels=1000, seed=0):
    """Spectra in 3 classes: an absorption band at 3 places, random slopes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_spectra)
    pixels = np.arange(n_pixels)
    centre = np.array([0.23, 0.5, 0.77])[y] * n_pixels + rng.normal(0, 0.03 * n_pixels,
                                                                    n_spectra)
    slope = rng.normal(0, 0.3, (n_spectra, 1))
    X = 1.0 + slope * (pixels / n_pixels - 0.5)
    X -= 0.4 * np.exp(-0.5 * ((pixels - centre[:, None]) / (0.025 * n_pixels)) ** 2)
    X += rng.normal(0, 0.05, X.shape)
    return X, np.array(["M", "L", "T"])[y]


class _CNNBench:
    n_spectra = 10_000
    n_pixels = 1000
    epochs = 1

    def setup(self):
        torch.set_num_threads(1)
        self.X, self.y = synthetic_classes(self.n_spectra, self.n_pixels)


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
        from spectra_sklearn.nn.modules import SpectrumCNNModule

        torch.manual_seed(0)
        module = SpectrumCNNModule(
            n_outputs=len(self.classes), pooled_length=16,
            input_shift=self.shift, input_scale=self.scale,
        )
        return train_plain_torch(module, [self.X_t], self.y_t, epochs=self.epochs,
                                 loss_fn=torch.nn.CrossEntropyLoss(), lr=LR,
                                 weight_decay=WEIGHT_DECAY, batch_size=BATCH_SIZE)

    def time_fit(self):
        self._train()

    def predict_proba(self):
        return plain_torch_proba(self.fitted, [self.X_t], PREDICT_BATCH)

    def time_predict_proba(self):
        self.predict_proba()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-spectra", type=int, default=None,
                        help="default 10000 (2000 with --quick)")
    parser.add_argument("--n-pixels", type=int, default=None,
                        help="default 1000 (256 with --quick)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="default 1 (2 with --quick)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="interleaved rounds, best kept (default 2; 3 with --quick)")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                        help="process CPU time (default) or wall time")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for a fast check of the ratios")
    args = parser.parse_args(argv)
    quick = args.quick
    n = args.n_spectra or (2000 if quick else 10_000)
    n_pixels = args.n_pixels or (256 if quick else 1000)
    epochs = args.epochs or (2 if quick else 1)
    repeat = args.repeat or (3 if quick else 2)
    _CNNBench.n_spectra, _CNNBench.n_pixels, _CNNBench.epochs = n, n_pixels, epochs
    torch.set_num_threads(1)

    ours, plain = OursCNN(), PlainTorchCNN()
    ours.setup()  # fits once each: also the warm-up
    plain.setup()
    accuracy = (
        np.mean(ours.fitted.predict(ours.X) == ours.y),
        np.mean(plain.classes[plain.predict_proba().argmax(axis=1)] == plain.y),
    )
    def timer(functions, repeat):
        return best_of_interleaved(functions, repeat=repeat, warmup=False, clock=args.clock)
    times = timer({"ours.fit": ours.time_fit, "plain.fit": plain.time_fit}, repeat)
    times.update(timer(
        {"ours.predict_proba": ours.time_predict_proba,
         "plain.predict_proba": plain.time_predict_proba},
        max(repeat, 5),
    ))
    rows = []
    for what in ("fit", "predict_proba"):
        t_ours, t_plain = times[f"ours.{what}"], times[f"plain.{what}"]
        per = n * (epochs if what == "fit" else 1)
        unit = "ms / 1000 spectrum-epochs" if what == "fit" else "ms / 1000 spectra"
        rows.append([what, unit, 1e6 * t_ours / per, 1e6 * t_plain / per,
                     t_ours / t_plain, t_plain / t_ours])
    print_table(
        ["step", "unit", "ours", "plain torch", "time ours / plain",
         "throughput ours / plain"], rows,
        title=(f"SpectrumCNNClassifier vs plain PyTorch, {n} x {n_pixels} spectra, "
               f"{epochs} epoch(s), batch {BATCH_SIZE} (prediction {PREDICT_BATCH}), "
               f"1 thread; {args.clock} time, best of {repeat} (prediction "
               f"{max(repeat, 5)}) interleaved rounds"),
    )
    print(f"training accuracy after {epochs} epoch(s): ours {accuracy[0]:.3f}, "
          f"plain torch {accuracy[1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
