"""The PyTorch modules behind the estimators of :mod:`spectra_sklearn.nn`.

Every ``torch.nn.Module`` of the package lives here, one private file per
family, so that a new estimator finds its building blocks in one place and
fitted estimators (which hold module instances) pickle and load anywhere:

- input handling: :class:`FluxStandardizer`, :class:`SpectrumInput` (scaling,
  optional inverse-variance channel, training-time augmentation with
  :class:`SpectrumAugmenter`);
- 1-D convolutions: :func:`same_conv`, :class:`BatchNorm1d`,
  :class:`ResidualConvBlock`, :class:`ConvTrunk` (the feature extractor),
  :class:`SpectrumCNNModule` (trunk + head);
- :class:`SpectrumRNNModule` (bidirectional LSTM) and
  :class:`SpectrumAutoencoderModule` (encoder/decoder);
- spectrum + catalogue columns: :class:`SpectrumFusionModule` (CNN or
  BiLSTM branch, :class:`TabularEncoder`, attention or concatenation, a head
  per branch) and its :class:`FusionLoss`;
- images: :class:`ImageCNNModule` (band standardisation, dihedral
  augmentation with :class:`DihedralAugmenter`, a :class:`CompactImageCNN` or
  :func:`resnet_backbone`, head).
"""

from ._augment import SpectrumAugmenter, shift_pixels
from ._autoencoder import SpectrumAutoencoderModule
from ._fusion import FusionLoss, SpectrumFusionModule, TabularEncoder
from ._image import (
    BandStandardizer,
    CompactImageCNN,
    DihedralAugmenter,
    ImageCNNModule,
    dihedral_transform,
    resnet_backbone,
)
from ._rnn import SpectrumRNNModule
from ._spectrum import (
    BatchNorm1d,
    ConvTrunk,
    FluxStandardizer,
    ResidualConvBlock,
    SpectrumCNNModule,
    SpectrumInput,
    same_conv,
)

__all__ = [
    "BandStandardizer",
    "CompactImageCNN",
    "DihedralAugmenter",
    "ImageCNNModule",
    "BatchNorm1d",
    "ConvTrunk",
    "FluxStandardizer",
    "FusionLoss",
    "ResidualConvBlock",
    "SpectrumAugmenter",
    "SpectrumAutoencoderModule",
    "SpectrumCNNModule",
    "SpectrumFusionModule",
    "SpectrumInput",
    "SpectrumRNNModule",
    "TabularEncoder",
    "dihedral_transform",
    "resnet_backbone",
    "same_conv",
    "shift_pixels",
]
