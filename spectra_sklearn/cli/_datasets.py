"""The datasets the command line knows: how to load each and which pipeline it uses."""

import dataclasses
from pathlib import Path

import numpy as np

__all__ = ["DATASETS", "LoadedData", "load_dataset"]


def _preset(builder, *args):
    """``spectra_sklearn.pipelines.<builder>``, imported when first called.

    The table below is read by ``spectra-sklearn --help``; importing the
    pipelines (scikit-learn, the readers, numba kernels) takes seconds, so
    only the command that builds one pays for it.
    """

    def make(**kwargs):
        from .. import pipelines

        make_pipeline = getattr(pipelines, builder)
        return (make_pipeline(*args) if args else make_pipeline)(**kwargs)

    make.__name__ = builder
    return make


@dataclasses.dataclass
class LoadedData:
    """What ``evaluate`` and ``fit`` need from a dataset."""

    title: str
    X: object  # file paths or a SpectrumBatch: what the pipeline's first step takes
    y: np.ndarray
    groups: np.ndarray
    names: list
    classes: list


@dataclasses.dataclass(frozen=True)
class CliDataset:
    """A dataset of the command line: its loader and its pipeline preset."""

    name: str
    help: str
    load: object  # load(data_home, download_if_missing) -> LoadedData
    make_pipeline: object  # make_pipeline(model=, random_state=, n_threads=, max_epochs=)


def _spex(bunch, title):
    return LoadedData(
        title=title,
        X=list(bunch.filenames),
        y=np.asarray(bunch.target_class),
        groups=np.asarray(bunch.groups),
        names=[Path(f).name for f in bunch.filenames],
        classes=["M", "L", "T"],  # the spectral sequence, not the alphabet
    )


def _load_spex_sample(data_home, download_if_missing):
    from ..datasets import load_spex_sample

    return _spex(load_spex_sample(), "SpeX sample (embedded), letter class")


def _load_spex(data_home, download_if_missing):
    from ..datasets import fetch_spex_prism

    bunch = fetch_spex_prism(data_home=data_home, download_if_missing=download_if_missing)
    return _spex(bunch, "SpeX Prism Library, letter class")


def _load_smass2(data_home, download_if_missing):
    from ..datasets import fetch_smass2

    bunch = fetch_smass2(data_home=data_home, download_if_missing=download_if_missing)
    return LoadedData(
        title="SMASSII, main group C/S/X/Other",
        X=bunch.data,
        y=np.asarray(bunch.target_main_group),
        groups=np.asarray(bunch.groups),
        names=[str(g) for g in bunch.groups],
        classes=["C", "S", "X", "Other"],
    )


def _load_miles(data_home, download_if_missing):
    from ..datasets import fetch_miles

    bunch = fetch_miles(data_home=data_home, download_if_missing=download_if_missing)
    classes = ["O", "B", "A", "F", "G", "K", "M"]  # the temperature sequence
    keep = np.isin(np.asarray(bunch.target), classes)
    return LoadedData(
        title="MILES, MK class O-M",
        X=bunch.data[np.flatnonzero(keep)],
        y=np.asarray(bunch.target)[keep],
        groups=np.asarray(bunch.groups)[keep],
        names=[Path(f).name for f in np.asarray(bunch.filenames)[keep]],
        classes=classes,
    )


def _load_demeo2009(data_home, download_if_missing):
    from ..datasets import BUS_DEMEO_MAIN_GROUPS, fetch_demeo2009

    bunch = fetch_demeo2009(data_home=data_home, download_if_missing=download_if_missing)
    y = np.asarray([BUS_DEMEO_MAIN_GROUPS.get(c, "Other") for c in bunch.target_base])
    return LoadedData(
        title="DeMeo 2009 (Bus-DeMeo), main group C/S/X/Other",
        X=bunch.data, y=y, groups=np.asarray(bunch.groups),
        names=[str(g) for g in bunch.groups], classes=["C", "S", "X", "Other"],
    )


def _load_mahlke2022(data_home, download_if_missing):
    from ..datasets import fetch_mahlke2022

    bunch = fetch_mahlke2022(data_home=data_home, download_if_missing=download_if_missing)
    y = np.asarray(bunch.target)
    # groups: the asteroid, so no object is in both train and test (the source
    # survey is bunch.groups, for cross-survey splits)
    return LoadedData(
        title="Mahlke 2022, class (17)",
        X=bunch.data, y=y, groups=np.asarray(bunch.object_id),
        names=[str(g) for g in bunch.object_id], classes=sorted(set(y)),
    )


def _load_sdss_templates(data_home, download_if_missing):
    from ..datasets import fetch_sdss_templates

    bunch = fetch_sdss_templates(template_set="all", data_home=data_home,
                                 download_if_missing=download_if_missing)
    classes = ["O", "B", "A", "F", "G", "K", "M"]  # the temperature sequence
    keep = np.flatnonzero(np.isin(np.asarray(bunch.target_class), classes))
    data = bunch.data[keep]
    return LoadedData(
        title="SDSS/BOSS stellar templates, MK class O-M",
        X=data, y=np.asarray(bunch.target_class)[keep],
        groups=np.asarray(bunch.groups)[keep],  # the star a template was made from
        names=[f"{Path(s.meta['source']).name}[{s.meta['row']}]" for s in data],
        classes=classes,
    )


def _load_spitzer_irs(data_home, download_if_missing):
    from ..datasets import fetch_spitzer_irs_sets

    # the three labelled sets (the Bulge is unlabelled); their spectra come
    # from CASSIS, one download each, unless already in the data home
    bunch = fetch_spitzer_irs_sets(sets=["SMC", "LMC", "galactic_plane"],
                                   data_home=data_home, download_if_missing=download_if_missing)
    y = np.asarray(bunch.target)
    return LoadedData(
        title="Spitzer IRS point sources (SMC, LMC, Galactic Plane), coarse class",
        X=bunch.data, y=y,
        # the AOR: cluster pointings of one AOR stay together
        groups=np.asarray(bunch.aor_key),
        names=[Path(f).name for f in bunch.filenames], classes=sorted(set(y)),
    )


def _load_galaxy_zoo1(data_home, download_if_missing):
    from ..datasets import fetch_galaxy_zoo1

    bunch = fetch_galaxy_zoo1(data_home=data_home)  # local only: nothing to download
    y = np.asarray(bunch.target_names)[bunch.target]
    return LoadedData(
        title="Galaxy Zoo 1 SDSS images, six classes",
        X=list(bunch.filenames), y=y,
        groups=np.asarray(bunch.frame["objid"]),  # one image per galaxy
        names=[Path(f).name for f in bunch.filenames],
        classes=list(bunch.target_names),
    )


DATASETS = {
    d.name: d
    for d in [
        CliDataset(
            "spex-sample",
            "the 300 SpeX M/L/T spectra embedded in the package (no data home needed)",
            _load_spex_sample, _preset("make_spex_pipeline"),
        ),
        CliDataset(
            "spex",
            "SpeX Prism Library (Burgasser 2014), letter class M/L/T, groups = SOURCE_KEY",
            _load_spex, _preset("make_spex_pipeline"),
        ),
        CliDataset(
            "smass2",
            "SMASSII asteroids (Bus & Binzel 2002), main group C/S/X/Other, "
            "groups = asteroid",
            _load_smass2, _preset("make_smass2_pipeline"),
        ),
        CliDataset(
            "demeo2009",
            "Bus-DeMeo asteroids (DeMeo et al. 2009), main group C/S/X/Other, "
            "groups = asteroid",
            _load_demeo2009, _preset("make_asteroid_table_pipeline", 41),
        ),
        CliDataset(
            "mahlke2022",
            "asteroids of many surveys (Mahlke et al. 2022), their 17 classes, from "
            "the reflectance and the albedo, groups = asteroid",
            _load_mahlke2022, _preset("make_asteroid_table_pipeline", 53, "log10_albedo"),
        ),
        CliDataset(
            "sdss-templates",
            "SDSS/BOSS stellar templates (spEigenStar), MK class O-M, groups = star",
            _load_sdss_templates, _preset("make_sdss_templates_pipeline"),
        ),
        CliDataset(
            "spitzer-irs",
            "Spitzer IRS point sources of the SMC, LMC and Galactic Plane (CASSIS "
            "spectra, CAST labels), coarse class, groups = AOR; downloads 690 spectra",
            _load_spitzer_irs, _preset("make_spitzer_irs_pipeline"),
        ),
        CliDataset(
            "galaxy-zoo1",
            "SDSS galaxy images (Galaxy Zoo 1, Lintott et al. 2008), six morphology "
            "classes, image CNN; needs galaxy_zoo1/ in the data home",
            _load_galaxy_zoo1, _preset("make_galaxy_zoo1_pipeline"),
        ),
        CliDataset(
            "miles",
            "MILES stars (Sanchez-Blazquez et al. 2006), MK class O-M, groups = star",
            _load_miles, _preset("make_miles_pipeline"),
        ),
    ]
}


def load_dataset(name, data_home=None, download_if_missing=True):
    """Load the command line's dataset ``name`` (a key of :data:`DATASETS`)."""
    return DATASETS[name].load(data_home, download_if_missing)
