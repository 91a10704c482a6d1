"""Real spectra to learn from: the data home, dataset fetchers and a built-in sample.

- :func:`load_spex_sample` -- 300 SpeX M/L/T dwarf spectra shipped with the
  package (no data home, no network);
- :func:`fetch_spex_prism` -- the SpeX Prism Library (Burgasser 2014);
- :func:`fetch_smass2` -- SMASSII asteroid spectra with Bus classes
  (Bus & Binzel 2002), and :data:`BUS_MAIN_GROUPS`;
- :func:`fetch_demeo2009` -- Bus-DeMeo visible + near-IR asteroid spectra
  (DeMeo et al. 2009); :func:`fetch_mahlke2022` -- asteroid spectra of the
  Mahlke et al. (2022) taxonomy, grouped by source survey;
- :func:`fetch_miles` -- the MILES stellar library with MK types, Teff, log g,
  [Fe/H] (Sánchez-Blázquez et al. 2006);
- :func:`fetch_sdss_spectrum` -- one SDSS spectrum by PLATE-MJD-FIBERID;
  :func:`fetch_sdss_spectra` -- many at once from a table (DR18, verified
  downloads, progress bar), with their ``SPECOBJ`` catalogue columns;
  :func:`fetch_sdss_templates` -- the SDSS/BOSS stellar templates labelled by
  SDSS ``SUBCLASS`` (Bolton et al. 2012);
- :func:`fetch_cassis` -- one Spitzer/IRS spectrum from CASSIS by AOR key;
  :func:`fetch_spitzer_irs_sets` -- the labelled Magellanic Cloud, Galactic
  Plane and Bulge AOR sets (Ruffle et al. 2015, Jones et al. 2017);
- :func:`fetch_iso_sws` -- ISO SWS atlas spectra with the Kraemer et al.
  (2002) classes;
- :func:`fetch_galaxy_zoo1` -- 5,331 SDSS galaxy colour images with their
  Galaxy Zoo 1 morphology (Lintott et al. 2008, 2011);
- :func:`fetch_nasa_images` -- images and their metadata found by keyword in
  the NASA Image and Video Library (images-api.nasa.gov);
- :func:`get_data_home` -- where the fetchers read and download the files
  (``data_home=`` > ``SPECTRA_SKLEARN_DATA`` > ``~/spectra_sklearn_data``).

Every fetcher that downloads takes ``timeout=``, the total seconds the call
may take (:class:`DownloadTimeoutError` when it runs out, naming the file and
the bytes that had arrived); those that download many files fetch them
``n_jobs`` at a time with a tqdm bar (``progress=``), each file atomically, so
a new call resumes where the last one stopped.
"""

from ._asteroid_tables import fetch_demeo2009, fetch_mahlke2022
from ._cassis import (
    SPITZER_IRS_COARSE_CLASSES,
    SPITZER_IRS_FINE_TO_COARSE,
    SPITZER_IRS_SETS,
    fetch_cassis,
    fetch_spitzer_irs_sets,
)
from ._download import (
    ChecksumError,
    DownloadError,
    DownloadTimeoutError,
    InvalidFileError,
    RemoteFileNotFoundError,
)
from ._galaxy_zoo import (
    GALAXY_ZOO1_3CLASSES,
    GALAXY_ZOO1_CLASSES,
    GALAXY_ZOO1_MIRROR_PAIRS,
    GALAXY_ZOO1_TO_3CLASS,
    fetch_galaxy_zoo1,
)
from ._home import get_data_home
from ._iso_sws import KRAEMER_GROUPS, fetch_iso_sws
from ._miles import fetch_miles
from ._nasa_images import fetch_nasa_images
from ._sdss import fetch_sdss_spectrum, sdss_spectrum_filename
from ._sdss_spectra import fetch_sdss_spectra, parse_sdss_ids
from ._sdss_templates import fetch_sdss_templates, parse_sdss_subclass
from ._smass2 import BUS_DEMEO_MAIN_GROUPS, BUS_MAIN_GROUPS, fetch_smass2
from ._spex import fetch_spex_prism, load_spex_sample

__all__ = [
    "BUS_DEMEO_MAIN_GROUPS",
    "BUS_MAIN_GROUPS",
    "ChecksumError",
    "DownloadError",
    "DownloadTimeoutError",
    "GALAXY_ZOO1_3CLASSES",
    "GALAXY_ZOO1_CLASSES",
    "GALAXY_ZOO1_MIRROR_PAIRS",
    "GALAXY_ZOO1_TO_3CLASS",
    "InvalidFileError",
    "KRAEMER_GROUPS",
    "RemoteFileNotFoundError",
    "SPITZER_IRS_COARSE_CLASSES",
    "SPITZER_IRS_FINE_TO_COARSE",
    "SPITZER_IRS_SETS",
    "fetch_cassis",
    "fetch_demeo2009",
    "fetch_galaxy_zoo1",
    "fetch_iso_sws",
    "fetch_mahlke2022",
    "fetch_miles",
    "fetch_nasa_images",
    "fetch_sdss_spectra",
    "fetch_sdss_spectrum",
    "fetch_sdss_templates",
    "fetch_smass2",
    "fetch_spex_prism",
    "fetch_spitzer_irs_sets",
    "get_data_home",
    "load_spex_sample",
    "parse_sdss_subclass",
    "parse_sdss_ids",
    "sdss_spectrum_filename",
]
