"""PyTorch modules of :class:`~spectra_sklearn.nn.ImageCNNClassifier`.

- :class:`BandStandardizer`: per-band standardisation measured on the
  training images;
- :func:`dihedral_transform` and :class:`DihedralAugmenter`: the 8 symmetries
  of a square (90° rotations and mirror flips), the orientations an image of
  the sky can have; the augmenter draws one per training image and says which
  were mirrored, so that classes defined by a handedness (clockwise vs
  anticlockwise spirals) are swapped for those;
- :class:`CompactImageCNN`: a small 4-block convolutional feature extractor
  that trains in minutes on two CPU cores;
- :func:`resnet_backbone`: torchvision's ResNet-18/50 (He et al. 2016), built
  with ``weights=None``, its first convolution adapted to the number of bands
  and its final layer removed;
- :class:`ImageCNNModule`: standardisation → augmentation → backbone →
  dropout → linear head.
"""

import torch
from torch import nn

__all__ = [
    "BandStandardizer",
    "BatchNorm2d",
    "CompactImageCNN",
    "DihedralAugmenter",
    "ImageCNNModule",
    "dihedral_transform",
    "resnet_backbone",
]

# The 8 elements of the dihedral group of the square as (quarter turns, mirror):
# element g = 4 * mirror + k rotates by k quarter turns counter-clockwise, then
# (g >= 4) mirrors left-right. Elements 0 and 2 (and 4, 6) keep any image's
# shape; 1, 3, 5, 7 swap height and width, so they need square images.
DIHEDRAL = tuple((k, m) for m in (False, True) for k in range(4))
SHAPE_KEEPING = (0, 2, 4, 6)


def dihedral_transform(x, element):
    """Apply dihedral element ``element`` (0-7, see ``DIHEDRAL``) to images ``x``.

    Parameters
    ----------
    x : Tensor of shape (..., height, width)
    element : int
        ``4 * mirror + quarter_turns``.

    Returns
    -------
    Tensor
        Rotated by ``element % 4`` quarter turns (counter-clockwise) and, for
        ``element >= 4``, mirrored left-right. A mirror turns a clockwise
        spiral into an anticlockwise one.
    """
    k, mirror = DIHEDRAL[int(element)]
    if k:
        x = torch.rot90(x, k, dims=(-2, -1))
    if mirror:
        x = torch.flip(x, dims=(-1,))
    return x


class BandStandardizer(nn.Module):
    """Subtract a per-band mean and divide by a per-band standard deviation.

    Parameters
    ----------
    mean, std : sequence of float
        One value per band, measured on the training pixels (``std`` > 0).
    """

    def __init__(self, mean=(0.0,), std=(1.0,)):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class DihedralAugmenter(nn.Module):
    """Random rotations by multiples of 90° and mirror flips while training.

    Each image of a training batch gets one of the 8 symmetries of the square
    drawn uniformly (only the 4 that keep the shape -- identity, half turn,
    mirror, mirror + half turn -- when the images are not square), from
    torch's random generator (which the estimator seeds). In evaluation mode
    it is the identity. An image of the sky has no preferred orientation, so
    each transform is another valid observation of the same object, except
    that a mirror reverses its handedness.

    Parameters
    ----------
    enabled : bool, default=True
        False: the identity, also while training.

    Notes
    -----
    ``forward`` returns ``(images, mirrored)``: the transformed batch and a
    boolean tensor of shape ``(batch,)``, True where the image was mirrored.
    """

    def __init__(self, enabled=True):
        super().__init__()
        self.enabled = bool(enabled)

    def forward(self, x):
        mirrored = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
        if not (self.training and self.enabled) or x.shape[0] == 0:
            return x, mirrored
        square = x.shape[-1] == x.shape[-2]
        if square:
            element = torch.randint(0, 8, (x.shape[0],), device=x.device)
        else:
            choices = torch.tensor(SHAPE_KEEPING, device=x.device)
            element = choices[torch.randint(0, 4, (x.shape[0],), device=x.device)]
        out = torch.empty_like(x)
        for g in element.unique().tolist():
            rows = torch.nonzero(element == g).squeeze(1)
            out[rows] = dihedral_transform(x[rows], g)
        return out, element >= 4


class BatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d that accepts one value per channel while training.

    A last training batch of one image whose feature map is one pixel (the
    1 × n_features "images" of 2-D input, after pooling) has no spread to
    normalise with; plain BatchNorm2d raises. This one then uses its running
    statistics, as in evaluation, and leaves them unchanged.
    """

    def forward(self, x):
        if self.training and x.shape[0] * x.shape[-1] * x.shape[-2] == 1:
            return nn.functional.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias,
                False, 0.0, self.eps,
            )
        return super().forward(x)


class CompactImageCNN(nn.Module):
    """``n_blocks`` × (3×3 convolution → batch norm → ReLU → 2×2 max-pool), averaged.

    Block ``i`` (from 0) has ``n_filters * 2**i`` channels; the pooling uses
    ``ceil_mode=True``, so images of any size from 1 × 1 pixel work; a global
    average pool gives ``n_features = n_filters * 2**(n_blocks - 1)`` values.
    The classic small CNN of galaxy-morphology work (e.g. Dieleman, Willett &
    Dambre 2015 used a deeper relative on Galaxy Zoo 2).
    """

    def __init__(self, in_channels=3, n_filters=16, n_blocks=4):
        super().__init__()
        layers = []
        channels = in_channels
        for i in range(n_blocks):
            out = n_filters * 2 ** i
            layers += [
                nn.Conv2d(channels, out, 3, padding=1, bias=False),
                BatchNorm2d(out),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            channels = out
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.layers = nn.Sequential(*layers)
        self.n_features = channels

    def forward(self, x):
        return self.layers(x)


def resnet_backbone(depth, in_channels=3):
    """torchvision's ResNet-``depth`` without its final layer (``weights=None``).

    Parameters
    ----------
    depth : {18, 50}
    in_channels : int, default=3
        Bands of the images; other than 3, the first convolution is replaced
        by one of the same shape taking ``in_channels`` bands.

    Returns
    -------
    torchvision.models.ResNet
        With ``fc`` replaced by the identity; ``n_features`` (512 or 2048) set
        as an attribute. Never downloads weights.

    Raises
    ------
    ImportError
        If torchvision cannot be imported (not installed, or built for another
        torch: PyPI's torchvision 0.28 beside the CPU wheel torch 2.13.0+cpu).
    """
    try:
        from torchvision.models import resnet18, resnet50
    except (ImportError, RuntimeError) as exc:  # RuntimeError: built for another torch
        raise ImportError(
            f"architecture='resnet{depth}' needs torchvision built for the installed "
            f"torch {torch.__version__} (pip install 'spectra_sklearn[resnet]'; PyPI's "
            "torchvision 0.28 needs the CUDA build of torch 2.13); importing it failed: "
            f"{type(exc).__name__}: {exc}. architecture='compact' needs nothing more."
        ) from exc

    net = {18: resnet18, 50: resnet50}[depth](weights=None)
    if in_channels != 3:
        old = net.conv1
        net.conv1 = nn.Conv2d(in_channels, old.out_channels, old.kernel_size,
                              stride=old.stride, padding=old.padding, bias=False)
    n_features = net.fc.in_features
    net.fc = nn.Identity()
    net.n_features = n_features
    return net


class ImageCNNModule(nn.Module):
    """Images → class logits: standardise, augment, backbone, dropout, linear.

    Parameters
    ----------
    n_outputs : int
        Number of classes.
    n_bands : int, default=3
        Channels of the input images.
    architecture : {'compact', 'resnet18', 'resnet50'}, default='compact'
    n_filters, n_blocks : int, default=16, 4
        Of the compact architecture (see :class:`CompactImageCNN`).
    dropout : float, default=0.2
        Dropout probability before the linear head.
    band_mean, band_std : sequence of float, default=None
        Per-band standardisation (see :class:`BandStandardizer`); None: 0 and 1.
    augment : bool, default=False
        Random dihedral transforms of the training images
        (:class:`DihedralAugmenter`).
    swap_pairs : sequence of (int, int), default=()
        Class indices whose meaning a mirror exchanges. For a mirrored
        training image the logits of each pair are exchanged, which trains
        the network exactly as a mirrored image labelled with the swapped
        class would (the cross-entropy of permuted logits against a label is
        that of the logits against the permuted label).

    Notes
    -----
    Input ``(batch, n_bands, height, width)`` float32; output ``(batch,
    n_outputs)``. The backbone's parameters are named ``backbone.*`` and the
    head's ``head.*`` (what fine-tuning freezes and loads).
    """

    def __init__(self, n_outputs, n_bands=3, architecture="compact", n_filters=16,
                 n_blocks=4, dropout=0.2, band_mean=None, band_std=None, augment=False,
                 swap_pairs=()):
        super().__init__()
        self.standardize = BandStandardizer(
            band_mean if band_mean is not None else [0.0] * n_bands,
            band_std if band_std is not None else [1.0] * n_bands,
        )
        self.augment = DihedralAugmenter(augment)
        if architecture == "compact":
            self.backbone = CompactImageCNN(n_bands, n_filters, n_blocks)
        elif architecture in ("resnet18", "resnet50"):
            self.backbone = resnet_backbone(int(architecture[len("resnet"):]), n_bands)
        else:
            raise ValueError(f"Unknown architecture {architecture!r}; expected "
                             "'compact', 'resnet18' or 'resnet50'.")
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.backbone.n_features, n_outputs)
        permutation = list(range(n_outputs))
        for a, b in swap_pairs:
            permutation[a], permutation[b] = b, a
        self.register_buffer("permutation", torch.tensor(permutation), persistent=False)
        self.has_swaps = permutation != list(range(n_outputs))

    def forward(self, x):
        x, mirrored = self.augment(self.standardize(x))
        logits = self.head(self.dropout(self.backbone(x)))
        if self.has_swaps and bool(mirrored.any()):
            logits = torch.where(mirrored[:, None], logits[:, self.permutation], logits)
        return logits
