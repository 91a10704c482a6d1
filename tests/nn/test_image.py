"""Tests for spectra_sklearn.nn.ImageCNNClassifier and its modules."""

import csv
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.utils._param_validation import InvalidParameterError

from spectra_sklearn.nn import ImageCNNClassifier, load
from spectra_sklearn.nn.modules import DihedralAugmenter, ImageCNNModule, dihedral_transform

TINY = dict(n_filters=8, n_blocks=2, max_epochs=12, batch_size=32, lr=3e-3)


def _blobs(n=60, size=12, seed=0):
    """One-band images of a small or a large centred Gaussian blob."""
    rng = np.random.default_rng(seed)
    r2 = ((np.arange(size) - (size - 1) / 2) ** 2)[:, None] + (
        (np.arange(size) - (size - 1) / 2) ** 2)
    sigma = np.where(np.arange(n) % 2 == 0, 1.0, 3.5) * rng.uniform(0.9, 1.1, n)
    X = np.exp(-0.5 * r2 / sigma[:, None, None] ** 2)[:, None]
    X = X + rng.normal(0, 0.05, X.shape)
    return X.astype(np.float32), np.where(sigma < 2, "compact", "extended")


# S and Z tetrominoes: mirror images of each other that no rotation maps onto
# each other -- a toy clockwise / anticlockwise pair.
_S = np.array([[0, 1, 1], [1, 1, 0]], dtype=float)


def _chiral(n=160, size=8, seed=0):
    """'S' and 'Z' shapes at random rotations and places, and a round 'E' blob."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.05, (n, 1, size, size))
    y = np.array(["S", "Z", "E"] * n)[:n]
    for i, label in enumerate(y):
        if label == "E":
            shape = np.ones((2, 2))
        else:
            shape = _S if label == "S" else _S[:, ::-1]
            shape = np.rot90(shape, rng.integers(4))
        h, w = shape.shape
        top, left = rng.integers(0, size - h + 1), rng.integers(0, size - w + 1)
        X[i, 0, top:top + h, left:left + w] += shape
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def blobs():
    return _blobs()


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y = blobs
    return ImageCNNClassifier(random_state=0, **TINY).fit(X, y)


class _Images:
    """Just a 4-D ``pixels`` array, as an image batch has."""

    def __init__(self, pixels):
        self.pixels = pixels


# ------------------------------------------------------------------ the contract


def test_fit_attributes_and_probabilities(fitted, blobs):
    X, y = blobs
    assert list(fitted.classes_) == ["compact", "extended"]
    assert fitted.image_shape_ == (1, 12, 12)
    assert fitted.n_features_in_ == 144
    assert fitted.n_iter_ == TINY["max_epochs"] == len(fitted.history_)
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[proba.argmax(1)])
    X_new, y_new = _blobs(40, seed=1)
    assert fitted.score(X_new, y_new) > 0.9


def test_an_object_with_pixels_is_an_image_batch(fitted, blobs):
    X, _ = blobs
    np.testing.assert_array_equal(fitted.predict_proba(_Images(X)), fitted.predict_proba(X))


def test_image_batch_of_the_images_package(fitted, blobs):
    images = pytest.importorskip("spectra_sklearn.images")
    X, y = blobs
    batch = images.ImageBatch(X)
    np.testing.assert_allclose(fitted.predict_proba(batch), fitted.predict_proba(X))
    scores = cross_val_score(ImageCNNClassifier(random_state=0, **TINY), batch, y, cv=2)
    assert scores.min() > 0.8


def test_2d_input_is_one_band_of_one_row(blobs):
    X, y = blobs
    flat = X.reshape(len(X), -1)
    clf = ImageCNNClassifier(random_state=0, **TINY).fit(flat, y)
    assert clf.image_shape_ == (1, 1, 144) and clf.n_features_in_ == 144
    assert clf.predict(flat).shape == (len(X),)
    with pytest.raises(ValueError, match=r"images of 1 x 12 x 12 .* fitted on 1 x 1 x 144"):
        clf.predict(X)


def test_predict_rejects_other_image_shape(fitted, blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match=r"images of 1 x 10 x 10 .* fitted on 1 x 12 x 12"):
        fitted.predict(X[:, :, :10, :10])


def test_nan_pixels_and_wrong_dimensions_raise(blobs):
    X, y = blobs
    bad = X.copy()
    bad[2, 0, 3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ImageCNNClassifier(**TINY).fit(bad, y)
    with pytest.raises(ValueError, match=r"\(n_images, n_bands, height, width\).*\(60, 12, 12\)"):
        ImageCNNClassifier(**TINY).fit(_Images(X[:, 0]), y)


def test_unfitted_and_invalid_parameters(blobs):
    X, y = blobs
    with pytest.raises(NotFittedError):
        ImageCNNClassifier().predict(X)
    for params, name in [({"architecture": "vgg"}, "architecture"),
                         ({"augmentation": "random"}, "augmentation"),
                         ({"finetune_lr_factor": 0}, "finetune_lr_factor"),
                         ({"freeze_backbone_epochs": -1}, "freeze_backbone_epochs")]:
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
            ImageCNNClassifier(**params).fit(X, y)


def test_same_seed_same_weights_and_torch_state_restored(blobs):
    X, y = blobs
    rng_before = torch.get_rng_state()
    a = ImageCNNClassifier(random_state=3, **TINY).fit(X, y)
    b = ImageCNNClassifier(random_state=3, **TINY).fit(X, y)
    assert torch.equal(torch.get_rng_state(), rng_before)
    wa, wb = a.net_.module_.state_dict(), b.net_.module_.state_dict()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_save_load_pickle_and_clone(fitted, blobs, tmp_path):
    X, _ = blobs
    expected = fitted.predict_proba(X)
    fitted.save(tmp_path / "model.zip")
    again = load(tmp_path / "model.zip")
    assert isinstance(again, ImageCNNClassifier) and tuple(again.image_shape_) == (1, 12, 12)
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict_proba(X),
                                  expected)
    assert not hasattr(clone(fitted), "net_")


def test_class_weight_and_early_stopping(blobs):
    X, y = blobs
    clf = ImageCNNClassifier(class_weight="balanced", early_stopping=True,
                             n_iter_no_change=2, random_state=0, **TINY).fit(X, y)
    assert "valid_loss" in clf.history_[-1]
    weight = clf.net_.criterion_.weight
    np.testing.assert_allclose(weight.numpy(), [1.0, 1.0])  # 30 and 30: balanced


# ------------------------------------------------------- orientations and mirrors


def test_dihedral_elements_are_the_8_distinct_symmetries():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    views = [dihedral_transform(x, g) for g in range(8)]
    assert len({tuple(v.flatten().tolist()) for v in views}) == 8
    # element 4 + k is the mirror of element k
    for k in range(4):
        assert torch.equal(views[4 + k], torch.flip(views[k], dims=(-1,)))


def test_mirrors_and_only_mirrors_turn_s_into_z():
    s = np.zeros((6, 6))
    s[2:4, 1:4] = _S
    z = s[:, ::-1]
    turns_of = {name: {np.rot90(im, k).tobytes() for k in range(4)}
                for name, im in (("S", s), ("Z", z))}
    assert not turns_of["S"] & turns_of["Z"]  # chiral: no rotation makes S a Z
    for g in range(8):
        view = dihedral_transform(torch.as_tensor(s.copy()), g).numpy().tobytes()
        assert view in turns_of["Z" if g >= 4 else "S"]


def test_augmenter_draws_symmetries_and_reports_mirrors():
    x = torch.randn(64, 2, 5, 5)
    augment = DihedralAugmenter().train()
    torch.manual_seed(0)
    out, mirrored = augment(x)
    for i in range(len(x)):
        matches = [g for g in range(8) if torch.equal(out[i], dihedral_transform(x[i], g))]
        assert matches and all((g >= 4) == bool(mirrored[i]) for g in matches)
    assert 0 < int(mirrored.sum()) < len(x)
    same, none = augment.eval()(x)
    assert torch.equal(same, x) and not none.any()
    # images that are not square keep their shape (half turns and mirrors only)
    wide, _ = augment.train()(torch.randn(16, 1, 3, 7))
    assert wide.shape == (16, 1, 3, 7)


def test_module_swaps_the_paired_logits_of_mirrored_images():
    module = ImageCNNModule(3, n_bands=1, n_filters=4, n_blocks=2, dropout=0.0,
                            augment=True, swap_pairs=[[0, 2]]).train()
    x = torch.randn(32, 1, 6, 6)
    torch.manual_seed(5)
    logits = module(x)
    torch.manual_seed(5)
    views, mirrored = module.augment(module.standardize(x))
    raw = module.head(module.backbone(views))
    expected = torch.where(mirrored[:, None], raw[:, [2, 1, 0]], raw)
    assert mirrored.any() and (~mirrored).any()
    torch.testing.assert_close(logits, expected)


def test_label_aware_mirrors_learn_handedness_plain_mirrors_cannot():
    X, y = _chiral()
    X_test, y_test = _chiral(n=150, seed=1)
    chiral = np.isin(y_test, ["S", "Z"])
    params = dict(n_filters=16, n_blocks=2, max_epochs=25, batch_size=32, lr=3e-3,
                  dropout=0.0, random_state=0)
    aware = ImageCNNClassifier(flip_swap_classes=[("S", "Z")], **params).fit(X, y)
    blind = ImageCNNClassifier(**params).fit(X, y)
    acc_aware = np.mean(aware.predict(X_test[chiral]) == y_test[chiral])
    acc_blind = np.mean(blind.predict(X_test[chiral]) == y_test[chiral])
    # mirrored S trained as S makes S and Z one class for the blind model
    assert acc_aware > 0.85
    assert acc_blind < 0.7


def test_tta_is_exactly_mirror_equivariant():
    X, y = _chiral(n=60)
    clf = ImageCNNClassifier(flip_swap_classes=[("S", "Z")], tta=True, n_filters=4,
                             n_blocks=2, max_epochs=2, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    mirrored = clf.predict_proba(X[..., ::-1].copy())
    swap = [list(clf.classes_).index(c) for c in ("E", "Z", "S")]  # classes E, S, Z
    np.testing.assert_allclose(mirrored[:, swap], proba, rtol=1e-5, atol=1e-6)
    # and invariant under rotations
    turned = clf.predict_proba(np.rot90(X, 1, axes=(2, 3)).copy())
    np.testing.assert_allclose(turned, proba, rtol=1e-5, atol=1e-6)
    assert not np.allclose(clf.set_params(tta=False).predict_proba(X), proba)


def test_flip_swap_classes_must_name_classes_of_y():
    X, y = _chiral(n=30)
    with pytest.raises(ValueError, match=r"flip_swap_classes names \['CW'\]"):
        ImageCNNClassifier(flip_swap_classes=[("S", "CW")], max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="pairs of two different class labels"):
        ImageCNNClassifier(flip_swap_classes=[("S",)], max_epochs=1).fit(X, y)


# ------------------------------------------------------------------ fine-tuning


@pytest.fixture(scope="module")
def pretrained_file(blobs, tmp_path_factory):
    X, y = blobs
    source = ImageCNNClassifier(random_state=1, **TINY).fit(X, y)
    path = tmp_path_factory.mktemp("weights") / "compact.pt"
    torch.save(source.net_.module_.state_dict(), path)
    return path, source


def _backbone_params(clf):
    return {k: v.detach().clone() for k, v in clf.net_.module_.backbone.named_parameters()}


def test_pretrained_backbone_frozen_stays_and_head_trains(blobs, pretrained_file):
    X, y = blobs
    path, source = pretrained_file
    clf = ImageCNNClassifier(pretrained_weights=str(path), freeze_backbone_epochs=3,
                             random_state=0, **{**TINY, "max_epochs": 3}).fit(X, y)
    before, after = _backbone_params(source), _backbone_params(clf)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not torch.equal(clf.net_.module_.head.weight, source.net_.module_.head.weight)
    groups = clf.net_.optimizer_.param_groups
    assert [g["initial_lr"] for g in groups] == pytest.approx([3e-4, 3e-3])
    assert clf.score(X, y) > 0.9  # the pretrained features separate the blobs


def test_backbone_unfrozen_after_the_frozen_epochs(blobs, pretrained_file):
    X, y = blobs
    path, source = pretrained_file
    clf = ImageCNNClassifier(pretrained_weights=path, freeze_backbone_epochs=1,
                             random_state=0, **{**TINY, "max_epochs": 2}).fit(X, y)
    before, after = _backbone_params(source), _backbone_params(clf)
    assert not all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.requires_grad for p in clf.net_.module_.parameters())


def test_pretrained_weights_that_do_not_fit_raise(blobs, pretrained_file, tmp_path):
    X, y = blobs
    path, _ = pretrained_file
    with pytest.raises(ValueError, match=r"does not fit the CompactImageCNN backbone.*"
                                         r"of another shape"):
        ImageCNNClassifier(pretrained_weights=path, n_filters=4, n_blocks=2,
                           max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="missing"):
        ImageCNNClassifier(pretrained_weights=path, n_filters=8, n_blocks=3,
                           max_epochs=1).fit(X, y)
    evil = tmp_path / "evil.pt"
    torch.save({"x": _Images(1)}, evil)  # a pickled object, not tensors
    with pytest.raises(ValueError, match="not a state dict of tensors"):
        ImageCNNClassifier(pretrained_weights=evil, max_epochs=1).fit(X, y)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageCNNClassifier(pretrained_weights=tmp_path / "none.pt", max_epochs=1).fit(X, y)


def _torchvision():
    try:
        import torchvision  # noqa: F401
    except Exception as exc:  # a CUDA build beside CPU torch fails with RuntimeError
        pytest.skip(f"torchvision cannot be imported here ({type(exc).__name__}: {exc})")


def test_resnet18_from_a_torchvision_state_dict_on_one_band(blobs, tmp_path):
    _torchvision()
    from torchvision.models import resnet18

    X, y = blobs
    torch.manual_seed(0)
    reference = resnet18(weights=None)
    torch.save(reference.state_dict(), tmp_path / "resnet18.pt")  # with its fc
    clf = ImageCNNClassifier(architecture="resnet18", pretrained_weights=tmp_path / "resnet18.pt",
                             freeze_backbone_epochs=1, max_epochs=1, batch_size=32,
                             random_state=0).fit(X[:32], y[:32])
    backbone = clf.net_.module_.backbone
    assert backbone.conv1.in_channels == 1
    # the 3-band first convolution averaged over the bands (times 3 / 1)
    torch.testing.assert_close(backbone.conv1.weight,
                               reference.conv1.weight.sum(dim=1, keepdim=True))
    torch.testing.assert_close(backbone.layer4[1].conv2.weight, reference.layer4[1].conv2.weight)
    assert clf.predict_proba(X[:4]).shape == (4, 2)


# ------------------------------------------------------------------ real images


def test_galaxy_zoo1_ellipticals_and_edge_on_discs(shared_data):
    """Tell ellipticals from edge-on discs on 64 real SDSS cutouts each."""
    from PIL import Image

    root = shared_data / "galaxy_zoo1"
    if not root.is_dir():
        pytest.skip("galaxy_zoo1 not in the data home")
    wanted = {"0": "elliptical", "3": "edge-on"}
    rows = []
    with open(root / "labels" / "smallCSV_class.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["CLASS"] in wanted and (root / "images" / f"{row['OBJID']}.jpeg").exists():
                rows.append((row["OBJID"], wanted[row["CLASS"]]))
    picked = [r for r in rows if r[1] == "elliptical"][:64] + [
        r for r in rows if r[1] == "edge-on"][:64]
    images = []
    for objid, _ in picked:
        with Image.open(root / "images" / f"{objid}.jpeg") as im:
            im = im.convert("RGB").crop((147, 147, 275, 275)).resize((32, 32), Image.BOX)
            images.append(np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / 255)
    X, y = np.stack(images), np.array([label for _, label in picked])
    test = np.arange(len(y)) % 4 == 0
    clf = ImageCNNClassifier(n_filters=8, max_epochs=15, lr=3e-3, random_state=0)
    clf.fit(X[~test], y[~test])
    assert clf.score(X[test], y[test]) >= 0.8  # half are each: chance is 0.5


def test_resnet_without_a_usable_torchvision_says_what_to_install():
    try:
        import torchvision  # noqa: F401
    except (ImportError, RuntimeError):
        pass
    else:
        pytest.skip("torchvision imports here; the error path is not reachable")
    from spectra_sklearn.nn.modules import resnet_backbone

    with pytest.raises(ImportError, match=r"spectra_sklearn\[resnet\].*compact"):
        resnet_backbone(18)
