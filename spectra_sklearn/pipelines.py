"""Ready-made pipelines for the datasets the package knows, one builder per dataset.

Each ``make_*_pipeline`` returns an unfitted scikit-learn
:class:`~sklearn.pipeline.Pipeline`: :class:`~spectra_sklearn.io.SpectrumReader`
(file paths, or spectra already read, in) →
:class:`~spectra_sklearn.preprocessing.SpectralResampler` onto the dataset's
wavelength grid → a continuum or flux normalisation → a classifier. They are
what ``spectra-sklearn evaluate``/``fit`` run, and a starting point to tune
with :class:`~sklearn.model_selection.GridSearchCV`
(``pipeline.set_params(spectralresampler__n_pixels=...)``).

Every builder takes the same keyword-only parameters:

model : {'cnn', 'svc'}, default='cnn'
    The final estimator: :class:`~spectra_sklearn.nn.SpectrumCNNClassifier`
    with balanced class weights, or an RBF :class:`~sklearn.svm.SVC`
    (``C=10``, ``gamma='scale'``).
random_state : int, default=0
    Seed of the classifier.
n_threads : int, default=1
    Torch threads of the CNN (one is fastest on small machines).
max_epochs : int, default=40
    Training epochs of the CNN.

Examples
--------
>>> from spectra_sklearn.pipelines import make_spex_pipeline
>>> [name for name, _ in make_spex_pipeline(model="svc").steps]
['spectrumreader', 'spectralresampler', 'continuumnormalizer', 'svc']
"""

from collections.abc import Callable

from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC

from .io import SpectrumReader
from .preprocessing import (
    ContinuumNormalizer,
    FluxScaler,
    MaskedPixelInterpolator,
    SpectralResampler,
)

__all__ = [
    "make_asteroid_table_pipeline",
    "make_galaxy_zoo1_pipeline",
    "make_miles_pipeline",
    "make_sdss_templates_pipeline",
    "make_smass2_pipeline",
    "make_spex_pipeline",
    "make_spitzer_irs_pipeline",
]


def _classifier(model, *, random_state, n_threads, max_epochs, n_tabular_features=0):
    """The preset's final estimator; with catalogue columns after the flux
    (``n_tabular_features``) the CNN is the fusion model, which takes them."""
    if model == "svc":
        return SVC(C=10.0, gamma="scale", random_state=random_state)
    if model != "cnn":
        raise ValueError(f"The 'model' parameter must be 'cnn' or 'svc'. Got {model!r} instead.")
    # torch is imported only when a CNN is asked for
    from .nn import SpectrumCNNClassifier, SpectrumFusionClassifier

    params = dict(max_epochs=max_epochs, class_weight="balanced", random_state=random_state,
                  n_threads=n_threads)
    if n_tabular_features:
        return SpectrumFusionClassifier(n_tabular_features=n_tabular_features, **params)
    return SpectrumCNNClassifier(**params)


def _preset(reader_format, *steps, model, random_state, n_threads, max_epochs,
            n_tabular_features=0):
    """reader -> ``steps`` (resampler, normaliser, ...) -> the classifier ``model`` names."""
    return make_pipeline(
        SpectrumReader(format=reader_format), *steps,
        _classifier(model, random_state=random_state, n_threads=n_threads,
                    max_epochs=max_epochs, n_tabular_features=n_tabular_features),
    )


def make_spex_pipeline(
    *, model: str = "cnn", random_state: int = 0, n_threads: int = 1,
    max_epochs: int = 40,
) -> Pipeline:
    """SpeX prism files -> 0.65-2.45 µm log grid -> flux at 1.2-1.3 µm = 1 -> classifier.

    The 1.2-1.3 µm window is the J-band peak SpeX prism spectra of M, L and T
    dwarfs are conventionally normalised at (Burgasser 2014, ASI Conf. Ser. 11, 7);
    a polynomial continuum would erase the broad-band shape that separates them.

    Parameters and defaults: see the module docstring (``model``,
    ``random_state``, ``n_threads``, ``max_epochs``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; ``fit`` takes file paths (or spectra) and labels.
    """
    return _preset(
        "spex",
        SpectralResampler(
            wavelength_min=0.65, wavelength_max=2.45, n_pixels=256, spacing="log",
            fill="edge",
        ),
        ContinuumNormalizer(method="window", window=(1.2, 1.3)),
        model=model, random_state=random_state, n_threads=n_threads, max_epochs=max_epochs,
    )


def make_smass2_pipeline(
    *, model: str = "cnn", random_state: int = 0, n_threads: int = 1,
    max_epochs: int = 40,
) -> Pipeline:
    """SMASSII files -> 0.44-0.92 µm linear grid -> reflectance 1 at 0.55 µm -> classifier.

    Reflectance is normalised to unity at 0.55 µm, the convention of Bus & Binzel
    (2002, Icarus 158, 146). The reader passes spectra already read (the
    fetcher's ``data``) through unchanged, and reads ``*.[2]`` files for
    ``spectra-sklearn predict``.

    Parameters and defaults: see the module docstring (``model``,
    ``random_state``, ``n_threads``, ``max_epochs``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; ``fit`` takes file paths (or spectra) and labels.
    """
    return _preset(
        "smass",
        SpectralResampler(
            wavelength_min=0.44, wavelength_max=0.92, n_pixels=97, spacing="linear",
            fill="edge",
        ),
        ContinuumNormalizer(method="window", window=(0.54, 0.56)),
        model=model, random_state=random_state, n_threads=n_threads, max_epochs=max_epochs,
    )


def make_miles_pipeline(
    *, model: str = "cnn", random_state: int = 0, n_threads: int = 1,
    max_epochs: int = 40,
) -> Pipeline:
    """MILES files -> 3550-7400 Å, 1,024 log pixels -> median flux 1 -> classifier.

    MILES spectra (Sánchez-Blázquez et al. 2006, MNRAS 371, 703) share one
    linear grid in air wavelengths at 2.5 Å FWHM; the log grid makes the
    CNN's kernels span a constant velocity, and median scaling removes the
    arbitrary flux calibration level.

    Parameters and defaults: see the module docstring (``model``,
    ``random_state``, ``n_threads``, ``max_epochs``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; ``fit`` takes file paths (or spectra) and labels.
    """
    return _preset(
        "miles",
        SpectralResampler(
            wavelength_min=3550.0, wavelength_max=7400.0, n_pixels=1024, spacing="log",
            wavelength_unit="Angstrom", fill="edge",
        ),
        FluxScaler(method="median"),
        model=model, random_state=random_state, n_threads=n_threads, max_epochs=max_epochs,
    )


def make_sdss_templates_pipeline(
    *, model: str = "cnn", random_state: int = 0, n_threads: int = 1,
    max_epochs: int = 40,
) -> Pipeline:
    """SDSS spectra -> 3800-9200 Å, 1,024 log pixels -> median flux 1 -> classifier.

    For the SDSS/BOSS stellar templates (``spEigenStar``; vacuum wavelengths,
    R ~ 2000) and the SDSS ``spec-*.fits`` spectra a model trained on them is
    meant to classify: the reader reads SDSS files and passes the templates
    (already read by :func:`~spectra_sklearn.datasets.fetch_sdss_templates`)
    through. 3800-9200 Å is covered by every SDSS and BOSS spectrum.

    Parameters and defaults: see the module docstring (``model``,
    ``random_state``, ``n_threads``, ``max_epochs``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; ``fit`` takes file paths (or spectra) and labels.
    """
    return _preset(
        "sdss",
        SpectralResampler(
            wavelength_min=3800.0, wavelength_max=9200.0, n_pixels=1024, spacing="log",
            wavelength_unit="Angstrom", fill="edge",
        ),
        FluxScaler(method="median"),
        model=model, random_state=random_state, n_threads=n_threads, max_epochs=max_epochs,
    )


def make_spitzer_irs_pipeline(
    *, model: str = "cnn", random_state: int = 0, n_threads: int = 1,
    max_epochs: int = 40,
) -> Pipeline:
    """CASSIS IRS files -> 5.3-37.2 µm, 256 log pixels -> flux scaled to [0, 1] -> classifier.

    The range is that of the CASSIS low-resolution (SL + LL) spectra
    (Lebouteiller et al. 2011, ApJS 196, 8); spectra covering only part of it
    (one module) are filled from their nearest pixel and keep a mask. Min-max
    scaling keeps the shape of the spectral energy distribution and removes
    the distance-dependent flux level, which spans orders of magnitude.

    Parameters and defaults: see the module docstring (``model``,
    ``random_state``, ``n_threads``, ``max_epochs``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; ``fit`` takes file paths (or spectra) and labels.
    """
    return _preset(
        "cassis",
        SpectralResampler(
            wavelength_min=5.3, wavelength_max=37.2, n_pixels=256, spacing="log",
            fill="edge",
        ),
        FluxScaler(method="minmax"),
        model=model, random_state=random_state, n_threads=n_threads, max_epochs=max_epochs,
    )


def make_asteroid_table_pipeline(n_pixels: int,
                                 albedo_key: str | None = None) -> Callable[..., Pipeline]:
    """A builder for the splined asteroid tables (DeMeo 2009: 41 points; Mahlke 2022: 53).

    Their spectra already sit on one 0.45-2.45 µm grid, normalised at
    0.55 µm; gaps (visible-only or near-IR-only coverage) are masked, and are
    filled by linear interpolation along wavelength (edge values beyond the
    covered range) before the classifier.

    Parameters
    ----------
    n_pixels : int
        Points of the table's grid.
    albedo_key : str, default=None
        A metadata key holding log10 of the visual albedo (``'log10_albedo'``
        of the ``mahlke2022`` reader; NaN where unknown). When given, the
        classifier sees ``[reflectance | log10 pV]``
        (:func:`~spectra_sklearn.preprocessing.make_flux_metadata_union`):
        the SVC after a median :class:`~sklearn.impute.SimpleImputer` with a
        missing indicator, the CNN as
        :class:`~spectra_sklearn.nn.SpectrumFusionClassifier` with one
        catalogue column (it handles the missing values itself). Mahlke et
        al. (2022) define their classes from the spectrum *and* pV (E, M
        and P differ mainly in albedo): with it the preset's SVC scores
        0.836 instead of 0.762 in grouped 5-fold CV and 0.781 instead of
        0.646 leaving each of the 11 largest source surveys out, the CNN
        0.824 instead of 0.769 and 0.808 instead of 0.705
        (``benchmarks/bench_mahlke_preset.py``). Spectra to classify then
        need the key in ``meta`` (NaN when the albedo is unknown).

    Returns
    -------
    callable
        ``make(*, model='cnn', random_state=0, n_threads=1, max_epochs=40)``
        giving the unfitted Pipeline (parameters as in the module docstring).
    """

    def make(*, model="cnn", random_state=0, n_threads=1, max_epochs=40):
        steps = [
            SpectralResampler(
                wavelength_min=0.45, wavelength_max=2.45, n_pixels=n_pixels,
                spacing="linear", method="linear", fill="nan",
            ),
            MaskedPixelInterpolator(),
        ]
        if albedo_key is not None:
            from sklearn.impute import SimpleImputer

            from .preprocessing import MetadataFeatures, make_flux_metadata_union

            steps.append(make_flux_metadata_union(
                MetadataFeatures(keys=[albedo_key], missing="nan")))
            if model != "cnn":  # the fusion CNN handles the missing values itself
                steps.append(SimpleImputer(strategy="median", add_indicator=True))
        return _preset(None, *steps, model=model, random_state=random_state,
                       n_threads=n_threads, max_epochs=max_epochs,
                       n_tabular_features=0 if albedo_key is None else 1)

    return make


# Square roots of scikit-learn's 'balanced' weights n / (k n_c) for the 5,331
# Galaxy Zoo 1 images (elliptical 3,705, CW 338, ACW 345, edge-on 809, don't
# know 41, merger 93): half-way (in log) between no weights, which never
# predict the rare classes, and 'balanced', which weighs one "don't know"
# image as 90 ellipticals. Measured in benchmarks/bench_accuracy.py galaxy-zoo1.
_GALAXY_ZOO1_COUNTS = {"elliptical": 3705, "clockwise_spiral": 338,
                       "anticlockwise_spiral": 345, "edge_on": 809, "dont_know": 41,
                       "merger": 93}


def make_galaxy_zoo1_pipeline(
    *, model: str = "cnn", random_state: int = 0, n_threads: int = 1,
    max_epochs: int = 15,
) -> Pipeline:
    """Galaxy images -> central 144 pixels -> 48 x 48 (area) -> image CNN.

    For the SDSS cutouts of :func:`~spectra_sklearn.datasets.fetch_galaxy_zoo1`
    (423 x 423, the galaxy in the middle) with the class names of
    ``target_names`` as labels: :class:`~spectra_sklearn.images.ImageReader`
    -> :class:`~spectra_sklearn.images.CenterCrop` (144) ->
    :class:`~spectra_sklearn.images.ImageResizer` (48, area averaging) ->
    :class:`~spectra_sklearn.nn.ImageCNNClassifier` (compact, random 90°
    rotations and mirrors that swap the clockwise and anticlockwise spiral
    labels, test-time averaging, class weights the square root of
    'balanced' on this sample, lr 2e-3).

    Parameters
    ----------
    model : {'cnn'}, default='cnn'
        Only the CNN (an SVC on raw pixels is not offered).
    random_state, n_threads : int, default=0, 1
        See the module docstring.
    max_epochs : int, default=15
        Training epochs.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; ``fit`` takes image paths (or an ImageBatch) and labels.

    Raises
    ------
    ValueError
        If ``model`` is not ``'cnn'``.
    """
    if model != "cnn":
        raise ValueError(f"The galaxy-zoo1 pipeline has only model='cnn'. Got {model!r} "
                         "instead.")
    from .images import CenterCrop, ImageReader, ImageResizer
    from .nn import ImageCNNClassifier

    total, k = sum(_GALAXY_ZOO1_COUNTS.values()), len(_GALAXY_ZOO1_COUNTS)
    weights = {c: (total / (k * n)) ** 0.5 for c, n in _GALAXY_ZOO1_COUNTS.items()}
    return make_pipeline(
        ImageReader(), CenterCrop(size=144), ImageResizer(size=48),
        ImageCNNClassifier(max_epochs=max_epochs, lr=2e-3, class_weight=weights,
                           flip_swap_classes=[("clockwise_spiral", "anticlockwise_spiral")],
                           tta=True, random_state=random_state, n_threads=n_threads),
    )
