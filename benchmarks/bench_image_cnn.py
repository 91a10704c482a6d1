"""Training and prediction cost of ImageCNNClassifier vs plain PyTorch.

Both sides train the same module
(:class:`spectra_sklearn.nn.modules.ImageCNNModule`, the estimator's default
compact architecture: 4 blocks of 16/32/64/128 channels, global average
pooling, random 90° rotations and mirrors in its training forward), with the
same per-band standardisation, AdamW (lr 1e-3, weight decay 1e-2) with a
cosine schedule, cross-entropy, batches of 64 shuffled images, float32 and one
torch thread, on synthetic 3-band images in 3 classes (by default 2,000
images of 48 × 48 pixels, the size of the ``galaxy-zoo1`` benchmark task):

- ``fit``: ``ImageCNNClassifier(...).fit(X, y)`` (validation, label encoding,
  band statistics, skorch's training loop, history, scheduler) vs a
  hand-written ``for epoch / for batch`` loop;
- ``predict_proba``: ours (without test-time augmentation) vs
  ``module.eval()`` + ``torch.inference_mode()`` forward + softmax over the
  same 512-image batches of a ready float32 tensor.

Times are process CPU time (``--clock cpu``, the default: one thread, far
less noisy than wall time on a shared machine), best of interleaved rounds.
Target (issue 14): one epoch within 1.15× of the plain loop.

Run from the repository root with the venv active::

    python benchmarks/bench_image_cnn.py
    python benchmarks/bench_image_cnn.py --quick
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
PREDICT_BATCH = 512
LR = 1e-3
WEIGHT_DECAY = 1e-2


def synthetic_images(n_images=2000, size=48, seed=0):
    """3-band images: a round blob, an elongated one, or two blobs, with noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_images)
    grid = np.arange(size) - (size - 1) / 2
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    angle = rng.uniform(0, np.pi, n_images)[:, None, None]
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    elongation = np.where(y == 1, 3.0, 1.0)[:, None, None]
    X = np.exp(-0.5 * ((u / (0.08 * size * elongation)) ** 2 + (v / (0.08 * size)) ** 2))
    X += np.where(y == 2, 1.0, 0.0)[:, None, None] * np.exp(
        -0.5 * (((u - 0.25 * size) / (0.05 * size)) ** 2 + (v / (0.05 * size)) ** 2))
    X = X[:, None] * np.array([0.6, 1.0, 0.8])[None, :, None, None]
    X = X + rng.normal(0, 0.05, X.shape)
    return X.astype(np.float32), np.array(["round", "elongated", "pair"])[y]


class _ImageBench:
    n_images = 2000
    size = 48
    epochs = 1

    def setup(self):
        torch.set_num_threads(1)
        self.X, self.y = synthetic_images(self.n_images, self.size)


class OursImageCNN(_ImageBench):
    """ImageCNNClassifier (skorch inside)."""

    def setup(self):
        from spectra_sklearn.nn import ImageCNNClassifier

        super().setup()
        self.make = lambda: ImageCNNClassifier(
            max_epochs=self.epochs, batch_size=BATCH_SIZE, lr=LR,
            weight_decay=WEIGHT_DECAY, random_state=0, n_threads=1)
        self.fitted = self.make().fit(self.X, self.y)

    def time_fit(self):
        self.make().fit(self.X, self.y)

    def time_predict_proba(self):
        self.fitted.predict_proba(self.X)


class PlainTorchImageCNN(_ImageBench):
    """The same module trained by a bare PyTorch loop."""

    def setup(self):
        super().setup()
        self.classes, y = np.unique(self.y, return_inverse=True)
        self.X_t = torch.as_tensor(self.X)
        self.y_t = torch.as_tensor(y, dtype=torch.int64)
        self.mean = self.X.mean(axis=(0, 2, 3), dtype=np.float64).tolist()
        self.std = self.X.std(axis=(0, 2, 3), dtype=np.float64).tolist()
        self.fitted = self._train()

    def _train(self):
        from spectra_sklearn.nn.modules import ImageCNNModule

        torch.manual_seed(0)
        module = ImageCNNModule(len(self.classes), n_bands=3, band_mean=self.mean,
                                band_std=self.std, augment=True)
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
    parser.add_argument("--n-images", type=int, default=None,
                        help="default 2000 (500 with --quick)")
    parser.add_argument("--size", type=int, default=None,
                        help="image side in pixels, default 48 (32 with --quick)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=None,
                        help="interleaved rounds, best kept (default 3)")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args(argv)
    n = args.n_images or (500 if args.quick else 2000)
    size = args.size or (32 if args.quick else 48)
    repeat = args.repeat or 3
    _ImageBench.n_images, _ImageBench.size, _ImageBench.epochs = n, size, args.epochs
    torch.set_num_threads(1)
    ours, plain = OursImageCNN(), PlainTorchImageCNN()
    ours.setup()  # fits once each: also the warm-up
    plain.setup()
    def timer(functions, repeat):
        return best_of_interleaved(functions, repeat=repeat, warmup=False, clock=args.clock)
    times = timer({"ours.fit": ours.time_fit, "plain.fit": plain.time_fit}, repeat)
    times.update(timer({"ours.predict_proba": ours.time_predict_proba,
                        "plain.predict_proba": plain.time_predict_proba}, max(repeat, 5)))
    rows = []
    for what in ("fit", "predict_proba"):
        t_ours, t_plain = times[f"ours.{what}"], times[f"plain.{what}"]
        per = n * (args.epochs if what == "fit" else 1)
        unit = "ms / 1000 image-epochs" if what == "fit" else "ms / 1000 images"
        rows.append([what, unit, 1e6 * t_ours / per, 1e6 * t_plain / per,
                     t_ours / t_plain, "<= 1.15" if what == "fit" else "-"])
    print_table(["step", "unit", "ours", "plain torch", "time ours / plain", "target"],
                rows, title=(f"ImageCNNClassifier vs plain PyTorch, {n} images 3 x {size} x "
                             f"{size}, {args.epochs} epoch(s), batch {BATCH_SIZE}, 1 thread; "
                             f"{args.clock} time, best of {repeat} interleaved rounds"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
