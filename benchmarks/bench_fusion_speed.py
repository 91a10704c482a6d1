"""Training and prediction cost of the fusion estimators and the BiLSTM vs plain PyTorch.

The sibling of ``bench_cnn.py`` (same synthetic spectra, optimiser, schedule,
batch size, float32, one torch thread, CPU-time clock, interleaved rounds),
for issue 12: 10,000 spectra of 1,000 pixels in 3 classes plus 5 catalogue
columns (two informative, one 40 % missing), by default:

- ``fusion-cnn``: ``SpectrumFusionClassifier(spectrum_branch='cnn')``;
- ``fusion-lstm``: ``SpectrumFusionClassifier(spectrum_branch='lstm')``;
- ``bilstm``: ``SpectrumRNNClassifier`` (spectrum only, no catalogue columns).

Each against a hand-written ``for epoch / for batch`` loop over the *same*
module class with the same constructor arguments (for the fusion models the
same :class:`~spectra_sklearn.nn.modules._fusion.FusionLoss`, flux and
catalogue columns as two tensors), and ``predict_proba`` against an
``inference_mode`` forward + softmax over 512-spectrum batches of ready
float32 tensors. Targets: an epoch within 1.15 x, ``predict_proba``
throughput >= 0.9 x.

Run from the repository root with the venv active::

    python benchmarks/bench_fusion_speed.py            # 10,000 x 1,000 + 5 columns, 1 epoch
    python benchmarks/bench_fusion_speed.py --quick    # 2,000 x 256, 2 epochs
"""

import argparse
import sys

try:  # as part of an asv suite (benchmarks/ is the package)
    from .bench_cnn import (
        BATCH_SIZE,
        LR,
        PREDICT_BATCH,
        WEIGHT_DECAY,
        synthetic_classes,
    )
    from .common import (
        best_of_interleaved,
        plain_torch_proba,
        print_table,
        single_thread,
        train_plain_torch,
    )
except ImportError:  # run as a script
    from bench_cnn import (
        BATCH_SIZE,
        LR,
        PREDICT_BATCH,
        WEIGHT_DECAY,
        synthetic_classes,
    )
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

N_TABULAR = 5
MODELS = ("fusion-cnn", "fusion-lstm", "bilstm")


def synthetic_catalogue(y, seed=0):
    """5 catalogue columns: 2 informative about the class, 1 missing 40 % of the time."""
    rng = np.random.default_rng(seed)
    code = np.unique(y, return_inverse=True)[1]
    table = rng.normal(0, 1, (len(y), N_TABULAR))
    table[:, 0] += code  # e.g. an absolute magnitude
    table[:, 1] = 10 + 2 * code + rng.normal(0, 1, len(y))  # an apparent magnitude
    table[rng.random(len(y)) < 0.4, 2] = np.nan  # e.g. a parallax
    return table


def make_estimator(name, epochs):
    from spectra_sklearn.nn import SpectrumFusionClassifier, SpectrumRNNClassifier

    common = dict(max_epochs=epochs, batch_size=BATCH_SIZE, lr=LR,
                  weight_decay=WEIGHT_DECAY, random_state=0, n_threads=1)
    if name == "bilstm":
        return SpectrumRNNClassifier(**common)
    return SpectrumFusionClassifier(n_tabular_features=N_TABULAR,
                                    spectrum_branch=name.split("-")[1], **common)


class Ours:
    """The estimator: validation, encoding, input statistics, skorch's loop."""

    def __init__(self, name, X, y, epochs):
        self.make = lambda: make_estimator(name, epochs)
        self.X, self.y = X, y
        self.fitted = self.make().fit(X, y)  # also the warm-up

    def time_fit(self):
        self.make().fit(self.X, self.y)

    def time_predict_proba(self):
        self.fitted.predict_proba(self.X)


class Plain:
    """The same module class and arguments, trained by a bare PyTorch loop."""

    def __init__(self, name, fitted, X, y, epochs):
        self.name, self.epochs = name, epochs
        self.fusion = name != "bilstm"
        self.module_class = fitted._module_class
        self.module_params = fitted._net_spec["module_params"]  # same statistics
        code = np.searchsorted(fitted.classes_, y)
        flux = X[:, :-N_TABULAR] if self.fusion else X
        self.tensors = [torch.as_tensor(flux, dtype=torch.float32)]
        if self.fusion:
            self.tensors.append(torch.as_tensor(X[:, -N_TABULAR:], dtype=torch.float32))
        self.y_t = torch.as_tensor(code, dtype=torch.int64)
        self.fitted = self._train()

    def _train(self):
        from spectra_sklearn.nn.modules._fusion import FusionLoss

        torch.manual_seed(0)
        module = self.module_class(**self.module_params)
        loss_fn = FusionLoss() if self.fusion else torch.nn.CrossEntropyLoss()
        return train_plain_torch(module, self.tensors, self.y_t, epochs=self.epochs,
                                 loss_fn=loss_fn, lr=LR, weight_decay=WEIGHT_DECAY,
                                 batch_size=BATCH_SIZE)

    def time_fit(self):
        self._train()

    def predict_proba(self):
        return plain_torch_proba(self.fitted, self.tensors, PREDICT_BATCH,
                                 first_output=self.fusion)

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
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated subset of {','.join(MODELS)}")
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
    torch.set_num_threads(1)
    def timer(functions, repeat):
        return best_of_interleaved(functions, repeat=repeat, warmup=False, clock=args.clock)

    flux, y = synthetic_classes(n, n_pixels)
    X_fused = np.column_stack([flux, synthetic_catalogue(y)])
    rows = []
    for name in args.models.split(","):
        X = flux if name == "bilstm" else X_fused
        ours = Ours(name, X, y, epochs)
        plain = Plain(name, ours.fitted, X, y, epochs)
        accuracy = (np.mean(ours.fitted.predict(X) == y),
                    np.mean(ours.fitted.classes_[plain.predict_proba().argmax(1)] == y))
        times = timer({"ours.fit": ours.time_fit, "plain.fit": plain.time_fit}, repeat)
        times.update(timer({"ours.predict_proba": ours.time_predict_proba,
                            "plain.predict_proba": plain.time_predict_proba},
                           max(repeat, 5)))
        for what in ("fit", "predict_proba"):
            t_ours, t_plain = times[f"ours.{what}"], times[f"plain.{what}"]
            per = n * (epochs if what == "fit" else 1)
            rows.append([name, what, 1e6 * t_ours / per, 1e6 * t_plain / per,
                         t_ours / t_plain, t_plain / t_ours])
        print(f"{name}: training accuracy after {epochs} epoch(s): ours {accuracy[0]:.3f}, "
              f"plain torch {accuracy[1]:.3f}", flush=True)
    print_table(
        ["model", "step", "ours ms/1000", "plain ms/1000", "time ours / plain",
         "throughput ours / plain"], rows,
        title=(f"fusion estimators and BiLSTM vs plain PyTorch, {n} x {n_pixels} spectra"
               f" + {N_TABULAR} catalogue columns, {epochs} epoch(s), batch {BATCH_SIZE} "
               f"(prediction {PREDICT_BATCH}), 1 thread; {args.clock} time, best of "
               f"{repeat} (prediction {max(repeat, 5)}) interleaved rounds; "
               "ms per 1000 spectrum-epochs (fit) or spectra (predict_proba)"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
