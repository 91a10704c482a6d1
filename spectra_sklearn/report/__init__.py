"""Predictions against truth, per object: a self-contained HTML report and a lookup server.

- :func:`write_report` writes one offline HTML page (``spectra-sklearn report``);
- :func:`write_catalog`, :class:`CatalogWriter` and :class:`Catalog` write and
  read the SQLite catalogue of predictions that ``spectra-sklearn serve`` serves
  (``spectra-sklearn predict --output catalog.sqlite`` writes one too);
- :func:`create_app` is the lookup server (Flask, the ``report`` extra).

Importing this package imports neither torch, plotly nor Flask.
"""

from ._catalog import ID_COLUMNS, Catalog, CatalogWriter, ids_from_meta, write_catalog
from ._html import write_report

__all__ = ["ID_COLUMNS", "Catalog", "CatalogWriter", "create_app", "ids_from_meta",
           "write_catalog", "write_report"]


def create_app(catalog, **kwargs):
    """The Flask application of the lookup server (see :mod:`._server`)."""
    from ._server import create_app as _create_app

    return _create_app(catalog, **kwargs)
