"""Neural-network estimators for spectra, built on skorch and PyTorch.

- :class:`SpectrumCNNClassifier` -- a residual, dilated 1-D convolutional
  network classifier (optional inverse-variance channel, augmentation);
- :class:`SpectrumCNNRegressor` -- the same network for continuous and
  multi-output targets;
- :class:`SpectrumRNNClassifier` -- a bidirectional LSTM over the flux;
- :class:`SpectrumFusionClassifier`, :class:`SpectrumFusionRegressor` --
  a spectrum branch (CNN or BiLSTM) and a catalogue-column branch fused by
  multi-head attention, with each branch's own prediction;
- :class:`ImageCNNClassifier` -- images (galaxies...): a compact CNN or a
  torchvision ResNet, rotation/mirror augmentation with label-aware mirrors,
  test-time averaging, fine-tuning from a local state dict;
- :class:`SpectrumAutoencoder` -- latent features, reconstructions and
  anomaly scores (convolutional or dense);
- :func:`load` -- load an estimator written by its ``save`` method without
  unpickling.
"""

from ._autoencoder import SpectrumAutoencoder
from ._cnn import SpectrumCNNClassifier
from ._fusion import SpectrumFusionClassifier
from ._fusion_regressor import SpectrumFusionRegressor
from ._image import ImageCNNClassifier
from ._persistence import load
from ._regressor import SpectrumCNNRegressor
from ._rnn import SpectrumRNNClassifier

__all__ = [
    "ImageCNNClassifier",
    "SpectrumAutoencoder",
    "SpectrumCNNClassifier",
    "SpectrumCNNRegressor",
    "SpectrumFusionClassifier",
    "SpectrumFusionRegressor",
    "SpectrumRNNClassifier",
    "load",
]
