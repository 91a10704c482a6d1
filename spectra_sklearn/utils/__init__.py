"""Small utilities shared across spectra_sklearn."""

from ._atomic import atomic_write

__all__ = ["atomic_write"]
