"""Benchmarks of spectra_sklearn against its peers (asv-style classes; see README.md)."""
