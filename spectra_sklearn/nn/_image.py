"""A convolutional neural network classifier for images of the sky."""

import os
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_y,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)
from skorch.callbacks import Freezer, Unfreezer

from ._base import _NO_Y, BaseSpectrumNet, BaseSpectrumNetClassifier
from ._torch_utils import as_float32, class_weight_tensor, encode_labels
from .modules import ImageCNNModule
from .modules._image import SHAPE_KEEPING, dihedral_transform

__all__ = ["ImageCNNClassifier"]

_BACKBONE = "backbone.*"


def _image_pixels(X):
    """The 4-D pixel array of ``X`` (an image batch or an array), else None."""
    if getattr(X, "common_shape", True) is False:
        raise ValueError(
            f"ImageCNNClassifier needs images of one shape; these {len(X)} images have "
            "different shapes. Put spectra_sklearn.images.CenterCrop or ImageResizer "
            "before it."
        )
    pixels = getattr(X, "pixels", None)
    if pixels is not None:
        return pixels
    if getattr(X, "ndim", None) == 4:  # numpy, torch, dask arrays
        return X
    return None


def swap_pairs(classes, flip_swap_classes):
    """Indices in ``classes`` of each pair of ``flip_swap_classes``.

    Raises
    ------
    ValueError
        If a pair does not hold two distinct labels of ``classes``, or a label
        is in two pairs.
    """
    if not flip_swap_classes:
        return []
    index = {label: i for i, label in enumerate(classes.tolist())}
    pairs, seen = [], set()
    for pair in flip_swap_classes:
        pair = list(pair) if isinstance(pair, (list, tuple)) else [pair]
        if len(pair) != 2 or pair[0] == pair[1]:
            raise ValueError(
                "The 'flip_swap_classes' parameter must be a list of pairs of two "
                f"different class labels, e.g. [('CW spiral', 'ACW spiral')]; got {pair!r}."
            )
        missing = [label for label in pair if label not in index]
        if missing:
            raise ValueError(
                f"flip_swap_classes names {missing!r}, not among the classes of y "
                f"{classes.tolist()!r}."
            )
        if seen & set(pair):
            raise ValueError(f"flip_swap_classes names {sorted(seen & set(pair))!r} twice.")
        seen.update(pair)
        pairs.append([index[pair[0]], index[pair[1]]])
    return pairs


def load_pretrained_backbone(module, path):
    """Load the backbone weights of ``module`` from the state-dict file ``path``.

    ``path`` holds a ``state_dict`` saved with :func:`torch.save`: of a whole
    :class:`~spectra_sklearn.nn.modules.ImageCNNModule` (its ``backbone.*``
    entries are used), or of the backbone network alone -- e.g. torchvision's
    ``resnet50`` with ImageNet weights the user downloaded, whose ``fc.*``
    (the 1,000 ImageNet classes) is left out. It is read with
    ``torch.load(weights_only=True)``: tensors only, no code. A first
    convolution trained on 3 bands is adapted to another number of bands by
    averaging its weights over the bands (scaled to keep the response to a
    flat image).

    Raises
    ------
    ValueError
        If the file cannot be read as tensors, or its names or shapes do not
        fit the backbone (the message lists the first differences).
    """
    name = os.fspath(path)
    try:
        state = torch.load(name, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"pretrained_weights file {name!r} does not exist.") from None
    except Exception as exc:  # torch raises UnpicklingError or RuntimeError
        raise ValueError(
            f"pretrained_weights {name!r} is not a state dict of tensors saved with "
            f"torch.save ({type(exc).__name__}: {str(exc).splitlines()[0]})."
        ) from None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError(f"pretrained_weights {name!r} holds a {type(state).__name__}, "
                         "not a state dict (names -> tensors).")
    if any(k.startswith("backbone.") for k in state):
        state = {k[len("backbone."):]: v for k, v in state.items()
                 if k.startswith("backbone.")}
    else:
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    target = module.backbone.state_dict()
    for key, value in state.items():
        want = target.get(key)
        if (want is not None and value.ndim == 4 and want.ndim == 4
                and value.shape[1] != want.shape[1]
                and (value.shape[0], *value.shape[2:]) == (want.shape[0], *want.shape[2:])):
            state[key] = (value.mean(dim=1, keepdim=True) * value.shape[1] / want.shape[1]
                          ).expand(-1, want.shape[1], -1, -1).clone()
    missing = sorted(set(target) - set(state))
    unexpected = sorted(set(state) - set(target))
    wrong = sorted(k for k in set(state) & set(target) if state[k].shape != target[k].shape)
    if missing or unexpected or wrong:
        parts = []
        for what, keys in (("missing", missing), ("unexpected", unexpected),
                           ("of another shape", wrong)):
            if keys:
                parts.append(f"{len(keys)} {what} ({', '.join(keys[:4])}"
                             f"{', ...' if len(keys) > 4 else ''})")
        raise ValueError(
            f"pretrained_weights {name!r} does not fit the {type(module.backbone).__name__} "
            f"backbone: weights {'; '.join(parts)}. Give the state dict of the same "
            "architecture (and, for the compact one, the same n_filters and n_blocks)."
        )
    module.backbone.load_state_dict(state)


class ImageCNNClassifier(ClassifierMixin, BaseSpectrumNetClassifier):
    """Classify images (galaxies, nebulae, stars) with a convolutional network.

    The images are standardised band by band (mean and standard deviation of
    the training pixels), passed through a backbone -- a compact 4-block CNN
    or torchvision's ResNet-18/50 (He et al. 2016) -- globally averaged, and
    mapped to class logits by a linear layer after dropout. Training minimises
    the (optionally class-weighted) cross-entropy with ``optimizer`` and a
    learning-rate schedule, on images turned by random multiples of 90° and
    mirrored (the sky has no preferred orientation), with optional early
    stopping. A mirror reverses handedness: ``flip_swap_classes`` names the
    classes it exchanges (a clockwise spiral seen in a mirror is an
    anticlockwise one), whose labels are swapped for mirrored images, and
    ``tta=True`` averages the probabilities over the 8 orientations of each
    image (the swapped classes' columns exchanged for the mirrored ones).
    Fine-tuning starts from a local state-dict file (``pretrained_weights``),
    optionally with the backbone frozen for the first epochs and trained at
    a lower learning rate afterwards. The network is a
    :class:`skorch.NeuralNetClassifier` built and trained inside ``fit``.

    Training is deterministic for an int ``random_state``. Torch's global
    random state and thread count are restored after every call.

    Parameters
    ----------
    architecture : {'compact', 'resnet18', 'resnet50'}, default='compact'
        ``'compact'``: ``n_blocks`` × (3×3 convolution → batch norm → ReLU →
        2×2 max-pool) with ``n_filters * 2**i`` channels, global average
        pooling (about 100,000 weights for the defaults; minutes per epoch
        on a CPU for thousands of 64×64 images). ``'resnet18'`` /
        ``'resnet50'``: :func:`torchvision.models.resnet18` / ``resnet50``
        built with ``weights=None`` (11 / 24 million weights; nothing is
        downloaded), the first convolution taking the images' bands.
    n_filters : int, default=16
        Channels of the first block of the compact architecture.
    n_blocks : int, default=4
        Blocks of the compact architecture; each halves the image size
        (rounding up).
    dropout : float, default=0.2
        Dropout probability before the linear head, in [0, 1).
    augmentation : {'dihedral', 'none'}, default='dihedral'
        ``'dihedral'``: each training image is, at every epoch, rotated by a
        random multiple of 90° and mirrored with probability 1/2 (only the
        half turn and the mirrors for images that are not square).
    flip_swap_classes : list of (label, label) or None, default=None
        Pairs of classes a mirror exchanges, e.g. ``[('CW spiral', 'ACW
        spiral')]``: a mirrored training image of one is trained as the
        other, and ``tta`` exchanges their probabilities for mirrored views.
        The labels must be classes of ``y``.
    tta : bool, default=False
        Test-time augmentation: ``predict_proba`` and ``predict`` average the
        probabilities of the 8 rotations/mirrors of each image (4 for images
        that are not square); 8 times the prediction cost.
    pretrained_weights : str, path-like or None, default=None
        A local file with the state dict of the backbone (or of a whole
        module of this estimator) to start from, read with
        ``torch.load(weights_only=True)``; a torchvision ResNet's ``fc``
        weights are ignored (the head is new). Never downloaded.
    freeze_backbone_epochs : int, default=0
        Epochs at the start during which only the head trains (skorch's
        ``Freezer``/``Unfreezer`` callbacks on ``backbone.*``).
    finetune_lr_factor : float, default=0.1
        When fine-tuning (``pretrained_weights`` given or
        ``freeze_backbone_epochs > 0``), the backbone learns at
        ``finetune_lr_factor * lr`` (the head at ``lr``).
    lr : float, default=1e-3
        Initial learning rate of ``optimizer``.
    lr_schedule : {'cosine', 'plateau', 'constant'}, default='cosine'
        See :class:`SpectrumCNNClassifier`.
    max_epochs : int, default=20
        Passes over the training images (fewer with ``early_stopping``).
    batch_size : int, default=64
        Images per gradient step.
    optimizer : torch.optim.Optimizer subclass, default=torch.optim.AdamW
        Uninitialised optimizer class.
    weight_decay : float, default=1e-2
        Weight decay, >= 0.
    class_weight : {'balanced'}, dict or None, default=None
        Weights of the classes in the cross-entropy; ``'balanced'`` weighs
        class ``c`` by ``n_samples / (n_classes * n_samples_c)``.
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the images and stop
        when the validation loss has not decreased for ``n_iter_no_change``
        epochs; the weights of the best epoch are kept.
    validation_fraction : float, default=0.1
        Fraction held out for early stopping, in (0, 1).
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, shuffling, dropout, augmentation and the
        early-stopping split.
    device : str, default='cpu'
        Torch device.
    n_threads : int or None, default=1
        Torch intra-op threads during ``fit`` and prediction.
    verbose : int, default=0
        1: skorch's per-epoch table; 2: also its progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    image_shape_ : tuple of int
        ``(n_bands, height, width)`` of the training images (a list after
        :func:`~spectra_sklearn.nn.load`, which stores JSON).
    n_features_in_ : int
        ``n_bands * height * width``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of a 2-D DataFrame ``X``, when it had string names.
    net_ : skorch.NeuralNetClassifier
        The trained net; ``net_.module_`` is an
        :class:`~spectra_sklearn.nn.modules.ImageCNNModule`.
    history_ : skorch.History
        Per-epoch record of the training.
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    SpectrumCNNClassifier : The 1-D network for spectra.

    Notes
    -----
    ``X`` is an image batch (any object with a 4-D ``pixels`` array, such as
    the batches of :mod:`spectra_sklearn.images`), or an array of shape
    ``(n_images, n_bands, height, width)``; all of one shape, finite. A 2-D
    array ``(n_samples, n_features)`` -- what scikit-learn's generic tools
    pass -- is read as one-band images of 1 × ``n_features`` pixels.
    Preprocess first (centre crop, resize, band selection); the network
    standardises the bands itself. Training uses float32.
    ``save``/:func:`~spectra_sklearn.nn.load` store a fitted estimator
    without pickle.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for
       image recognition", CVPR (2016).
    .. [2] S. Dieleman, K. W. Willett and J. Dambre, "Rotation-invariant
       convolutional neural networks for galaxy morphology prediction",
       MNRAS 450, 1441 (2015) (rotations and flips as augmentation and
       test-time averaging).
    .. [3] C. J. Lintott et al., "Galaxy Zoo: morphologies derived from
       visual inspection of galaxies from the Sloan Digital Sky Survey",
       MNRAS 389, 1179 (2008) (the clockwise / anticlockwise spiral classes).
    .. [4] J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How transferable
       are features in deep neural networks?", NeurIPS (2014).

    Examples
    --------
    Small and large blobs on 16 × 16 one-band images:

    >>> import numpy as np
    >>> from spectra_sklearn.nn import ImageCNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> r2 = ((np.arange(16) - 7.5) ** 2)[:, None] + ((np.arange(16) - 7.5) ** 2)
    >>> size = np.where(np.arange(60) % 2 == 0, 1.5, 4.0)
    >>> X = np.exp(-0.5 * r2 / size[:, None, None] ** 2)[:, None]
    >>> X = X + rng.normal(0, 0.05, X.shape)
    >>> y = np.where(size < 2, "compact", "extended")
    >>> clf = ImageCNNClassifier(n_filters=8, max_epochs=10, random_state=0).fit(X, y)
    >>> clf.image_shape_
    (1, 16, 16)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> float(clf.score(X, y)) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseSpectrumNet._parameter_constraints,
        "architecture": [StrOptions({"compact", "resnet18", "resnet50"})],
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "augmentation": [StrOptions({"dihedral", "none"})],
        "flip_swap_classes": [list, tuple, None],
        "tta": ["boolean"],
        "pretrained_weights": [str, os.PathLike, None],
        "freeze_backbone_epochs": [Interval(Integral, 0, None, closed="left")],
        "finetune_lr_factor": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    _module_class = ImageCNNModule

    def __init__(
        self,
        *,
        architecture="compact",
        n_filters=16,
        n_blocks=4,
        dropout=0.2,
        augmentation="dihedral",
        flip_swap_classes=None,
        tta=False,
        pretrained_weights=None,
        freeze_backbone_epochs=0,
        finetune_lr_factor=0.1,
        lr=1e-3,
        lr_schedule="cosine",
        max_epochs=20,
        batch_size=64,
        optimizer=torch.optim.AdamW,
        weight_decay=1e-2,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        device="cpu",
        n_threads=1,
        verbose=0,
    ):
        self.architecture = architecture
        self.n_filters = n_filters
        self.n_blocks = n_blocks
        self.dropout = dropout
        self.augmentation = augmentation
        self.flip_swap_classes = flip_swap_classes
        self.tta = tta
        self.pretrained_weights = pretrained_weights
        self.freeze_backbone_epochs = freeze_backbone_epochs
        self.finetune_lr_factor = finetune_lr_factor
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose

    # ------------------------------------------------------------------ input
    def _validate_images(self, X, *, reset, y=_NO_Y):
        """Validate ``X`` (and ``y``); return float32 ``(n, bands, h, w)`` pixels."""
        pixels = _image_pixels(X)
        if pixels is None:  # 2-D: one band of 1 x n_features pixels
            if y is _NO_Y:
                flat = validate_data(self, X, reset=reset, dtype=[np.float32, np.float64])
            else:
                flat, y = validate_data(self, X, y, reset=reset,
                                        dtype=[np.float32, np.float64])
            images = flat.reshape(flat.shape[0], 1, 1, flat.shape[1])
        else:
            images = check_array(pixels, allow_nd=True, dtype=[np.float32, np.float64],
                                 input_name="X", estimator=self)
            if images.ndim != 4:
                raise ValueError(
                    f"{type(self).__name__} needs images of shape (n_images, n_bands, "
                    f"height, width); got an array of shape {images.shape}."
                )
            if reset:
                self.n_features_in_ = int(np.prod(images.shape[1:]))
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            if y is not _NO_Y:
                y = _check_y(y, estimator=self)
                check_consistent_length(images, y)
        shape = tuple(int(s) for s in images.shape[1:])
        if reset:
            self.image_shape_ = shape
        elif shape != tuple(self.image_shape_):
            raise ValueError(
                f"X holds images of {' x '.join(map(str, shape))} (bands x height x "
                f"width), but {type(self).__name__} was fitted on "
                f"{' x '.join(map(str, self.image_shape_))}."
            )
        images = as_float32(images)
        return images if y is _NO_Y else (images, y)

    def _prepare_fit(self, X, y):
        images, y = self._validate_images(X, reset=True, y=y)
        mean = images.mean(axis=(0, 2, 3), dtype=np.float64)
        std = images.std(axis=(0, 2, 3), dtype=np.float64)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        return images, y, mean.tolist(), std.tolist()

    def _prepare_predict(self, X):
        return self._validate_images(X, reset=False)

    def _module_params(self, n_outputs, shift, scale):
        return {
            "n_outputs": n_outputs,
            "n_bands": self.image_shape_[0],
            "architecture": self.architecture,
            "n_filters": self.n_filters,
            "n_blocks": self.n_blocks,
            "dropout": self.dropout,
            "band_mean": shift,
            "band_std": scale,
            "augment": self.augmentation == "dihedral",
            "swap_pairs": swap_pairs(self.classes_, self.flip_swap_classes),
        }

    # ---------------------------------------------------------------- fitting
    def _fine_tuning(self):
        return self.pretrained_weights is not None or self.freeze_backbone_epochs > 0

    def _net_kwargs(self, *, seed, stratified, monitor_valid):
        kwargs = super()._net_kwargs(seed=seed, stratified=stratified,
                                     monitor_valid=monitor_valid)
        if self._fine_tuning():
            kwargs["optimizer__param_groups"] = [
                (_BACKBONE, {"lr": self.lr * self.finetune_lr_factor})]
        if self.freeze_backbone_epochs > 0:
            kwargs["callbacks"] = kwargs["callbacks"] + [
                ("freeze_backbone", Freezer(_BACKBONE, at=1)),
                ("unfreeze_backbone", Unfreezer(_BACKBONE,
                                                at=self.freeze_backbone_epochs + 1)),
            ]
        return kwargs

    def _prepare_initialized_module(self, module):
        """Load ``pretrained_weights`` into the initialised module before training."""
        if self.pretrained_weights is not None:
            load_pretrained_backbone(module, self.pretrained_weights)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on images ``X`` with class labels ``y``.

        Parameters
        ----------
        X : image batch or array of shape (n_images, n_bands, height, width)
            Images of one shape (an object with a 4-D ``pixels`` array, such
            as a batch of :mod:`spectra_sklearn.images`), finite. A 2-D array
            is read as one-band images of 1 × ``n_features`` pixels.
        y : array-like of shape (n_images,)
            Class labels, at least 2 distinct.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``X`` is not finite or not images of one shape, ``y`` has fewer
            than 2 classes, ``flip_swap_classes`` names labels not in ``y``,
            or ``pretrained_weights`` does not fit the architecture.
        FileNotFoundError
            If ``pretrained_weights`` names a missing file.
        """
        images, y, mean, std = self._prepare_fit(X, y)
        check_classification_targets(y)
        self.classes_, y_encoded = encode_labels(self, y)
        weight = class_weight_tensor(self.class_weight, self.classes_, y)
        self.net_ = self._fit_net(
            self._net_class, self._module_class, images, y_encoded,
            module_params=self._module_params(len(self.classes_), mean, std),
            criterion=self._criterion, criterion_params={"weight": weight},
            stratified=True,
        )
        self._set_fit_attributes()
        return self

    # ------------------------------------------------------------- prediction
    def predict_proba(self, X):
        """Class probabilities, averaged over the 8 orientations with ``tta``.

        Parameters
        ----------
        X : image batch or array of shape (n_images, n_bands, height, width)
            Images of the shape seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_images, n_classes)
            In the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        images = self._prepare_predict(X)
        if not self.tta:
            return softmax(self._forward(images), axis=1)
        square = images.shape[-1] == images.shape[-2]
        elements = range(8) if square else SHAPE_KEEPING
        permutation = self.net_.module_.permutation.cpu().numpy()
        tensor = torch.from_numpy(images)
        total = np.zeros((len(images), len(self.classes_)))
        for element in elements:
            view = as_float32(dihedral_transform(tensor, element).numpy())
            proba = softmax(self._forward(view), axis=1)
            total += proba[:, permutation] if element >= 4 else proba
        return total / len(elements)

    def predict(self, X):
        """Most probable class of each image (with ``tta``, of the averaged probabilities).

        Parameters
        ----------
        X : image batch or array of shape (n_images, n_bands, height, width)
            Images of the shape seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_images,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
