"""Neural-network estimators for spectra, built on skorch and PyTorch.

- :class:`SpectrumCNNClassifier` -- a residual, dilated 1-D convolutional
  network classifier (optional inverse-variance channel, augmentation);
- :class:`SpectrumCNNRegressor` -- the same network for continuous and
  multi-output targets;
- :class:`SpectrumRNNClassifier` -- a bidirectional LSTM over the flux;
- :class:`SpectrumAutoencoder` -- latent features, reconstructions and
  anomaly scores (convolutional or dense);
- :func:`load` -- load an estimator written by its ``save`` method without
  unpickling.
"""

from ._autoencoder import SpectrumAutoencoder
from ._cnn import SpectrumCNNClassifier
from ._persistence import load
from ._regressor import SpectrumCNNRegressor
from ._rnn import SpectrumRNNClassifier

__all__ = [
    "SpectrumAutoencoder",
    "SpectrumCNNClassifier",
    "SpectrumCNNRegressor",
    "SpectrumRNNClassifier",
    "load",
]
