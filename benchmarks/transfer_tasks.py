"""The cross-survey problems of ``bench_transfer.py``: data, preprocessing variants, ceilings.

Each builder returns :class:`Problem` records: the spectra of both surveys
preprocessed onto one grid and stacked (``X``), the label, the survey and the
object of every row, and which surveys train and which test -- given to
:class:`~spectra_sklearn.model_selection.CrossSurveySplit` by the evaluation.
A builder returns one problem per preprocessing ``setup`` (the "what makes
models transfer" variants, measured one at a time) and, for leave-one-survey-
out tasks, one per held-out survey (``part``).
"""

import csv
import re
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.pipeline import FeatureUnion, make_pipeline

from spectra_sklearn.datasets import (
    BUS_DEMEO_MAIN_GROUPS,
    BUS_MAIN_GROUPS,
    fetch_demeo2009,
    fetch_mahlke2022,
    fetch_miles,
    fetch_sdss_templates,
    fetch_smass2,
    fetch_spex_prism,
)
from spectra_sklearn.preprocessing import (
    AirToVacuum,
    ContinuumNormalizer,
    FluxPixels,
    FluxScaler,
    InstrumentAugmenter,
    MaskedPixelInterpolator,
    MetadataFeatures,
    ResolutionDegrader,
    SpectralResampler,
    SpectrumSmoother,
    WavelengthCropper,
)

#: Mahlke et al. (2022) classes -> main groups: as Bus's letters; E, M and P
#: (X-complex spectra told apart by albedo) go to X, Z (very red, D-like) to Other.
MAHLKE_TO_MAIN = {**BUS_MAIN_GROUPS, "E": "X", "M": "X", "P": "X", "Z": "Other"}
MK = list("OBAFGKM")


@dataclass
class Problem:
    task: str
    setup: str
    X: np.ndarray
    y: np.ndarray
    survey: np.ndarray
    objects: np.ndarray
    train: list
    test: list
    baseline: str = "-"
    target: str = "-"
    ceiling: float = float("nan")
    ceiling_n: int = 0
    part: str = ""
    kind: str = "classification"  # or "regression" (subclass numbers, MAE)
    in_survey_rows: np.ndarray = None  # rows of the in-survey CV (default: the training rows)
    disagree: np.ndarray = field(default=None, repr=False)  # rows whose catalogues disagree
    # the grid of X (so that an augmenter sees spectra) and the metadata of every row
    wavelength: np.ndarray = field(default=None, repr=False)
    wavelength_unit: str = None
    meta: dict = None
    # AugmentedTrainingClassifier parameters (augmenter, n_copies, n_tta) wrapping the model
    augment: dict = None
    # name -> boolean mask over the rows: the transfer accuracy is also reported on the
    # test rows in each (``transfer_<name>``, ``n_test_<name>``)
    subsets: dict = None
    # per-part values copied into the row as they are (e.g. the share of test rows with pV)
    extra: dict = None


def _augmented(problem, pieces):
    """One copy of ``problem`` per augmentation piece, named ``"<setup> + <piece>"``."""
    return [replace(problem, setup=f"{problem.setup} + {name}", augment=spec)
            for name, spec in pieces.items()]


def _pieces(all_params, mild_params, **single):
    """The pieces measured one at a time, all of them together, and test-time augmentation.

    ``single`` maps a piece name to its InstrumentAugmenter parameters (2 training
    copies each); ``all_params`` combines them; ``mild_params`` is the test-time
    augmenter (4 copies averaged, the model trained without augmentation).
    """
    pieces = {f"aug {name}": {"augmenter": InstrumentAugmenter(**params), "n_copies": 2}
              for name, params in single.items()}
    pieces["aug all"] = {"augmenter": InstrumentAugmenter(**all_params), "n_copies": 2}
    if "gaps" in single and "shift" in single:  # the two that moved Mahlke's 17 classes
        pieces["aug gaps + shift"] = {
            "augmenter": InstrumentAugmenter(**single["gaps"], **single["shift"]),
            "n_copies": 2}
    pieces["TTA"] = {"augmenter": InstrumentAugmenter(**mild_params), "n_copies": 0,
                     "n_tta": 4}
    pieces["aug all + TTA"] = {"augmenter": InstrumentAugmenter(**all_params), "n_copies": 2,
                               "n_tta": 4, "tta_augmenter": InstrumentAugmenter(**mild_params)}
    return pieces


#: Mahlke et al. (2022) reflectances, 0.45-2.45 um in 53 pixels of 0.025-0.05 um,
#: normalised at 0.55 um, no uncertainties: slopes as from phase reddening or another
#: solar analogue, coverage lost at either end (visible-only or near-IR-only surveys),
#: gaps, sub-pixel calibration shifts, noise at S/N 20-100.
MAHLKE_PIECES = _pieces(
    all_params=dict(slope=0.2, reference_wavelength=0.55, wavelength_unit="um",
                    edge_loss=0.6, n_gaps=1, gap_width=0.15, shift=0.3, snr=(20.0, 100.0)),
    mild_params=dict(slope=0.05, reference_wavelength=0.55, wavelength_unit="um",
                     shift=0.2, snr=(50.0, 200.0)),
    slope=dict(slope=0.2, reference_wavelength=0.55, wavelength_unit="um"),
    coverage=dict(edge_loss=0.6),
    gaps=dict(n_gaps=2, gap_width=0.15),
    shift=dict(shift=0.5, stretch=0.01),
    noise=dict(snr=(20.0, 100.0)),
)

#: MILES at 5 A FWHM on the 3700-7200 A log grid (1 px = 195 km/s), no uncertainties:
#: resolving power 500-1100 (FWHM 5-11 A at 5500 A), flux-calibration slopes, shifts
#: of half a pixel, noise at S/N 30-100, masked runs up to 5 % of the pixels.
MILES_PIECES = _pieces(
    all_params=dict(resolution=(500.0, 1100.0), input_fwhm=5.0, wavelength_unit="Angstrom",
                    slope=0.3, shift=0.5, snr=(30.0, 100.0), n_gaps=2, gap_width=0.05),
    mild_params=dict(shift=0.25, snr=(100.0, 300.0)),
    resolution=dict(resolution=(500.0, 1100.0), input_fwhm=5.0, wavelength_unit="Angstrom"),
    slope=dict(slope=0.3),
    shift=dict(shift=0.5, stretch=0.001),
    noise=dict(snr=(30.0, 100.0)),
    gaps=dict(n_gaps=2, gap_width=0.05),
)


def _arr(pipeline, batch):
    return np.asarray(pipeline.fit_transform(batch), dtype=float)


def _agreement(a_objects, a_labels, b_objects, b_labels):
    """Share of the objects in both catalogues whose labels agree, and how many there are."""
    b = {}
    for o, lab in zip(b_objects, b_labels):
        b.setdefault(o, []).append(lab)
    pairs = [(la, b[o]) for o, la in zip(a_objects, a_labels) if o in b]
    if not pairs:
        return float("nan"), 0
    return float(np.mean([la in lbs for la, lbs in pairs])), len(pairs)


def _stack(parts):
    """Stack (X, y, survey, objects) tuples of several surveys."""
    X = np.vstack([p[0] for p in parts])
    y = np.concatenate([np.asarray(p[1], dtype=object) for p in parts])
    survey = np.concatenate([np.full(len(p[1]), p[2], dtype=object) for p in parts])
    objects = np.concatenate([np.asarray(p[3], dtype=str).astype(object) for p in parts])
    return X, y, survey, objects


# -- asteroids -----------------------------------------------------------------------


def _visible_variants(grid):
    """SMASSII-side preprocessing variants for a coarse visible grid (``grid`` µm)."""
    window = ContinuumNormalizer(method="window", window=(0.54, 0.56), wavelength_unit="um")
    fine = SpectralResampler(wavelength_min=0.44, wavelength_max=0.92, n_pixels=97,
                             wavelength_unit="um", fill="edge")

    def at_points():
        return SpectralResampler(wavelength_grid=grid, wavelength_unit="um", fill="edge",
                                 method="linear")

    return {
        # what the example measured (0.761): flux-conserving bins of 0.05 µm
        "bins (flux-conserving)": [SpectralResampler(wavelength_grid=grid, wavelength_unit="um",
                                                     fill="edge"), window],
        # the tables sample a spline at the grid points: sample at the points too
        "points (linear)": [at_points(), window],
        # ... and smooth first, as their spline does (Gaussian, sigma 6 px of 0.005 µm)
        "smoothed + points": [fine, SpectrumSmoother(sigma=6.0), at_points(), window],
    }


def smass_demeo(data_home, quick=False):
    """SMASSII -> DeMeo et al. (2009) visible part, main groups."""
    smass = fetch_smass2(data_home=data_home)
    demeo = fetch_demeo2009(data_home=data_home)
    grid = np.arange(0.45, 0.901, 0.05)
    y_s = smass.target_main_group
    y_d = np.array([BUS_DEMEO_MAIN_GROUPS[c] for c in demeo.target_base])
    ceiling, n = _agreement(demeo.groups, y_d, smass.groups, y_s)
    test_side = [SpectralResampler(wavelength_grid=grid, wavelength_unit="um", fill="edge",
                                   method="linear"),
                 ContinuumNormalizer(method="window", window=(0.525, 0.575),
                                     wavelength_unit="um")]
    X_d = _arr(make_pipeline(*test_side), demeo.data)
    smass_map = dict(zip(smass.groups, y_s))
    disagree = np.array([o in smass_map and smass_map[o] != lab
                         for o, lab in zip(demeo.groups, y_d)])
    problems = []
    for setup, steps in _visible_variants(grid).items():
        X_s = _arr(make_pipeline(*steps), smass.data)
        X, y, survey, objects = _stack([(X_s, y_s, "SMASSII", smass.groups),
                                        (X_d, y_d, "DeMeo2009", demeo.groups)])
        problems.append(Problem(
            "SMASSII -> DeMeo 2009 (vis), main groups", setup, X, y, survey, objects,
            ["SMASSII"], ["DeMeo2009"], baseline="0.761", target=">= 0.85",
            ceiling=ceiling, ceiling_n=n,
            disagree=np.concatenate([np.zeros(len(y_s), bool), disagree])))
    return problems


def _mahlke(data_home):
    mahlke = fetch_mahlke2022(reflectance="linear", data_home=data_home)
    covered = ~np.asarray(mahlke.data.mask) if mahlke.data.mask is not None else None
    X = np.asarray(MaskedPixelInterpolator().fit_transform(mahlke.data), dtype=float)
    return mahlke, X, covered


def mahlke_albedo_columns(mahlke):
    """The spectrum's pixels and Mahlke's log10 pV, through the library's transformers.

    ``FeatureUnion`` of the pixels (masked ones filled as ``_mahlke`` fills them) and
    :class:`~spectra_sklearn.preprocessing.MetadataFeatures` reading each spectrum's
    ``meta["log10_albedo"]`` (the table's preprocessed pV; NaN when absent) with its
    0/1 missing indicator. The NaN stays: the evaluation puts a median
    ``SimpleImputer`` fitted on the training rows in front of the model.
    Returns ``(pixels + [log10 pV, missing], [log10 pV, missing])``.
    """
    union = FeatureUnion([
        ("pixels", make_pipeline(MaskedPixelInterpolator(), FluxPixels())),
        ("pV", MetadataFeatures(keys=["log10_albedo"], missing="indicator"))])
    X = _arr(union, mahlke.data)
    return X, X[:, -2:]


def mahlke_loso(data_home, quick=False, main_groups=False):
    """Mahlke et al. (2022), leave one source survey (>= 40 spectra) out.

    Mahlke's classes are the output of a mixture model of the spectrum *and* the
    visual albedo pV (E, M and P differ mainly in pV), so besides the spectrum-only
    setups there are ``+ log10 pV`` (spectrum and albedo) and ``log10 pV only``.
    Every setup also reports the accuracy on the held-out spectra that have a pV
    (``transfer_with_pV``). Ceiling: the held-out survey's asteroids also observed
    by a training survey -- how often Mahlke's label of the held-out spectrum is
    one of the labels of that asteroid's training-survey spectra.
    """
    mahlke, X_all, covered = _mahlke(data_home)
    X_pv, pv = mahlke_albedo_columns(mahlke)
    has_pv = ~np.isnan(pv[:, 0])
    y = (np.array([MAHLKE_TO_MAIN[c] for c in mahlke.target]) if main_groups
         else np.asarray(mahlke.target))
    survey = np.asarray(mahlke.groups, dtype=object)
    objects = np.asarray(mahlke.object_id, dtype=object)
    names, sizes = np.unique(survey, return_counts=True)
    held_out = [s for s in names[np.argsort(-sizes)] if np.sum(survey == s) >= 40]
    if quick:
        held_out = held_out[:3]
    label = "main groups" if main_groups else "17 classes"
    problems = []
    for s in held_out:
        test = survey == s
        ceiling, n = _agreement(objects[test], y[test], objects[~test], y[~test])
        # the held-out survey's coverage: pixels measured in >= 90 % of its spectra
        band = covered[test].mean(axis=0) >= 0.9
        variants = {"all pixels (edge-filled)": X_all}
        if band.sum() >= 5 and not band.all():
            # the common band: only the pixels the target survey measures,
            # each spectrum rescaled to median 1 there (its continuum convention)
            Xb = X_all[:, band]
            variants["common band"] = Xb / np.median(Xb, axis=1, keepdims=True)
        else:
            variants["common band"] = X_all
        variants["all pixels + log10 pV (+ missing indicator)"] = X_pv
        variants["log10 pV only (+ missing indicator)"] = pv
        for setup, X in variants.items():
            problems.append(Problem(
                f"Mahlke 2022 leave-one-survey-out, {label}", setup, X, y, survey, objects,
                [t for t in names if t != s], [s], part=s,
                baseline="0.818" if main_groups else "-",
                target=">= 0.93" if main_groups else ">= 0.88",
                ceiling=ceiling, ceiling_n=n,
                in_survey_rows=np.arange(len(y)),
                wavelength=np.asarray(mahlke.data.wavelength, dtype=float),
                wavelength_unit="um", meta={}, subsets={"with_pV": has_pv},
                extra={"pV_present_test": float(has_pv[test].mean()),
                       "pV_present_train": float(has_pv[~test].mean())}))
        problems += _augmented(problems[-4], MAHLKE_PIECES)  # on "all pixels (edge-filled)"
    return problems


def smass_mahlke(data_home, quick=False, reverse=False):
    """SMASSII <-> Mahlke's non-SMASS surveys, visible part, main groups."""
    smass = fetch_smass2(data_home=data_home)
    mahlke, X_m, covered = _mahlke(data_home)
    wl = np.asarray(mahlke.data.wavelength[0] if mahlke.data.wavelength.ndim == 2
                    else mahlke.data.wavelength, dtype=float)
    vis = (wl >= 0.45) & (wl <= 0.92)
    grid = wl[vis]
    keep = (np.asarray(mahlke.groups) != "1") & covered[:, vis].all(axis=1)
    y_m = np.array([MAHLKE_TO_MAIN[c] for c in mahlke.target])[keep]
    obj_m = np.asarray(mahlke.object_id)[keep]
    # normalised at the grid point nearest 0.55 µm on both sides
    at = grid[np.argmin(np.abs(grid - 0.55))]
    Xm = X_m[keep][:, vis]
    Xm = Xm / Xm[:, [int(np.argmin(np.abs(grid - at)))]]
    y_s = smass.target_main_group
    ceiling, n = _agreement(obj_m, y_m, smass.groups, y_s)
    problems = []
    for setup, steps in _visible_variants(grid).items():
        steps = steps[:-1] + [ContinuumNormalizer(method="window", window=(at - 1e-3, at + 1e-3),
                                                  wavelength_unit="um")]
        X_s = _arr(make_pipeline(*steps), smass.data)
        X, y, survey, objects = _stack([(X_s, y_s, "SMASSII", smass.groups),
                                        (Xm, y_m, "Mahlke non-SMASS", obj_m)])
        train, test = ["SMASSII"], ["Mahlke non-SMASS"]
        if reverse:
            train, test = test, train
        problems.append(Problem(
            f"{train[0]} -> {test[0]} (vis), main groups", setup, X, y, survey, objects,
            train, test, ceiling=ceiling, ceiling_n=n))
    return problems


# -- stars ---------------------------------------------------------------------------


def _type_number(subclass):
    """'B2.5' -> 12.5, 'M0' -> 60; NaN when there is no numeric subclass."""
    if len(subclass) < 2 or subclass[0] not in MK:
        return np.nan
    try:
        return 10 * MK.index(subclass[0]) + float(subclass[1:])
    except ValueError:
        return np.nan


def miles_sdss(data_home, quick=False, reverse=False, subclass=False):
    """MILES <-> the SDSS/BOSS stellar templates: MK class, or the subclass number."""
    miles = fetch_miles(target="mk_class", data_home=data_home)
    templates = fetch_sdss_templates(template_set="all", data_home=data_home)
    in_mk = np.isin(miles.target, MK)
    in_mk_t = np.isin(templates.target_class, MK)
    n_pixels = 256 if quick else 1024
    crop = WavelengthCropper(wavelength_min=3650.0, wavelength_max=7300.0,
                             wavelength_unit="Angstrom")

    def grid():
        return SpectralResampler(wavelength_min=3700.0, wavelength_max=7200.0,
                                 n_pixels=n_pixels, spacing="log", wavelength_unit="Angstrom",
                                 fill="edge")

    def miles_degrade():
        return ResolutionDegrader(target_fwhm=5.0, wavelength_unit="Angstrom")

    def sdss_degrade():
        return ResolutionDegrader(target_fwhm=5.0, input_resolution=2000.0,
                                  wavelength_unit="Angstrom")

    def continuum():
        return ContinuumNormalizer(method="running_percentile", window_width=200.0,
                                   percentile=90.0, wavelength_unit="Angstrom")

    variants = {
        # the example's setup (0.825): common resolution, median flux 1, slope kept
        "5 Å FWHM, median 1": (
            [AirToVacuum(), crop, miles_degrade(), grid(), FluxScaler(method="median")],
            [crop, sdss_degrade(), grid(), FluxScaler(method="median")]),
        "no resolution matching": (
            [AirToVacuum(), crop, grid(), FluxScaler(method="median")],
            [crop, grid(), FluxScaler(method="median")]),
        # a shared continuum convention: divide by the running 90th percentile
        "5 Å FWHM, continuum-normalised": (
            [AirToVacuum(), crop, miles_degrade(), grid(), continuum()],
            [crop, sdss_degrade(), grid(), continuum()]),
    }
    y_m = miles.target[in_mk]
    y_t = templates.target_class[in_mk_t]
    if subclass:
        y_m = np.array([_type_number(s) for s in miles.frame["mk_subclass"][in_mk]])
        y_t = np.array([_type_number(s) for s in templates.frame["mk_subclass"][in_mk_t]])
    problems = []
    for setup, (m_steps, t_steps) in variants.items():
        X_m = _arr(make_pipeline(*m_steps), miles.data[np.flatnonzero(in_mk)])
        X_t = _arr(make_pipeline(*t_steps), templates.data[np.flatnonzero(in_mk_t)])
        X, y, survey, objects = _stack([(X_m, y_m, "MILES", miles.groups[in_mk]),
                                        (X_t, y_t, "SDSS templates", templates.groups[in_mk_t])])
        ok = np.isfinite(X).all(axis=1)
        if subclass:
            ok &= np.isfinite(y.astype(float))
            y = y.astype(float)
        X, y, survey, objects = X[ok], y[ok], survey[ok], objects[ok]
        train, test = ["MILES"], ["SDSS templates"]
        if reverse:
            train, test = test, train
        what = "MK subclass (O0=0 ... M9=69), MAE" if subclass else "MK class"
        forward = not reverse
        problems.append(Problem(
            f"{train[0]} -> {test[0]}, {what}", setup, X, y, survey, objects, train, test,
            baseline=("-" if not forward else ("2.04 (SVR), CNN 1.93" if subclass
                                               else "0.825, CNN 0.783")),
            target=("-" if not forward else ("<= 1.5" if subclass else ">= 0.90")),
            kind="regression" if subclass else "classification",
            wavelength=np.asarray(grid().fit_transform(miles.data[:1]).wavelength),
            wavelength_unit="Angstrom", meta={"fwhm": 5.0}))
    if forward and not subclass:
        problems += _augmented(problems[0], MILES_PIECES)  # on "5 Å FWHM, median 1"
    return problems


# -- brown dwarfs ----------------------------------------------------------------------


def _letter(spectral_type):
    m = re.match(r"\s*(?:sd|esd|usd|d)?([MLT])\s*\d", str(spectral_type))
    return m.group(1) if m else ""


def spex_sources(data_home):
    """SOURCE_KEY -> (OPT_TYPE letter, NIR_TYPE letter, LIT_TYPE letter) of ``sources.csv``."""
    from spectra_sklearn.datasets import get_data_home

    path = get_data_home(data_home) / "spex_prism" / "metadata" / "sources.csv"
    with open(path, newline="", encoding="utf-8") as f:
        return {int(r["SOURCE_KEY"]): (_letter(r["OPT_TYPE"]), _letter(r["NIR_TYPE"]),
                                       _letter(r["LIT_TYPE"]))
                for r in csv.DictReader(f) if r["SOURCE_KEY"].strip()}


def spex_letters_agree(source_keys, letters, data_home):
    """Whether each spectrum's letter equals every letter ``sources.csv`` gives its
    source: ``OPT_TYPE`` and ``NIR_TYPE`` (else ``LIT_TYPE``); False without any."""
    sources = spex_sources(data_home)
    agree = []
    for key, letter in zip(source_keys, letters):
        opt, nir, lit = sources.get(int(key), ("", "", ""))
        others = [t for t in (opt, nir or lit) if t]
        agree.append(bool(others) and all(t == letter for t in others))
    return np.array(agree)


def spex_features(spex, band=(0.65, 2.45), n_pixels=256, window=(1.2, 1.3)):
    steps = make_pipeline(
        SpectralResampler(wavelength_min=band[0], wavelength_max=band[1], n_pixels=n_pixels,
                          spacing="log", fill="edge"),
        ContinuumNormalizer(method="window", window=window))
    return _arr(steps, spex.data)


def spex_programmes(data_home, quick=False):
    """SpeX letter, leave one DATA_REFERENCE (>= 40 spectra) out."""
    spex = fetch_spex_prism(data_home=data_home)
    y = spex.target_class
    ref = np.asarray(spex.frame["DATA_REFERENCE"], dtype=object)
    objects = np.asarray(spex.groups).astype(str).astype(object)
    names, sizes = np.unique(ref, return_counts=True)
    held_out = [r for r in names[np.argsort(-sizes)] if np.sum(ref == r) >= 40 and r]
    held_out = held_out[:3] if quick else held_out[:8]
    variants = {
        "0.65-2.45 µm, J-peak 1 (preset)": spex_features(spex),
        # the band the near-IR types are assigned from (Kirkpatrick et al. 2010)
        "0.87-1.39 µm band": spex_features(spex, band=(0.87, 1.39), n_pixels=128),
    }
    problems = []
    for r in held_out:
        test = ref == r
        train_objs = {o: lab for o, lab, t in zip(objects, y, test) if not t}
        ceiling, n = _agreement(objects[test], y[test], list(train_objs), list(train_objs.values()))
        for setup, X in variants.items():
            problems.append(Problem(
                "SpeX letter, leave-one-reference-out", setup, X, y, ref, objects,
                [t for t in names if t != r], [r], part=r, ceiling=ceiling, ceiling_n=n,
                in_survey_rows=np.arange(len(y))))
    return problems


TASKS = {
    "smass-demeo": smass_demeo,
    "mahlke-loso": lambda h, q: mahlke_loso(h, q, main_groups=False),
    "mahlke-loso-main": lambda h, q: mahlke_loso(h, q, main_groups=True),
    "smass-mahlke": lambda h, q: smass_mahlke(h, q, reverse=False),
    "mahlke-smass": lambda h, q: smass_mahlke(h, q, reverse=True),
    "miles-sdss": lambda h, q: miles_sdss(h, q),
    "miles-sdss-subclass": lambda h, q: miles_sdss(h, q, subclass=True),
    "sdss-miles": lambda h, q: miles_sdss(h, q, reverse=True),
    "spex-programme": spex_programmes,
}
