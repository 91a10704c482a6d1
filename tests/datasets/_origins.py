"""Local copies of dataset origins for the download tests (served by ``_http.serve``)."""

import hashlib
import shutil

from spectra_sklearn.datasets import _spex

__all__ = ["pin_spex_metadata", "spex_origin"]


def pin_spex_metadata(monkeypatch, folder):
    """Make the manifest of fetch_spex_prism list the trimmed metadata of ``folder``
    (as a release of the library with only those rows would)."""
    manifest = dict(_spex._manifest())
    for name in ("spectral_data.txt", "sources.csv"):
        manifest[f"metadata/{name}"] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    monkeypatch.setattr(_spex, "_manifest", lambda: manifest)


def spex_origin(shared_data, folder, n_per_class=1, absent=1, monkeypatch=None):
    """A SPLAT-like folder: metadata of a few OK rows per class, their files, and
    ``absent`` more rows whose file the origin does not have; with
    ``monkeypatch``, the manifest pins that metadata."""
    folder.mkdir(parents=True)
    raw = (shared_data / "spex_prism" / "metadata" / "spectral_data.txt").read_bytes()
    lines = raw.split(b"\r")
    header = lines[0].split(b"\t")
    i_type, i_flag, i_file = (header.index(c)
                              for c in (b"SPEX_TYPE", b"QUALITY_FLAG", b"DATA_FILE"))
    chosen, files = [], []
    for letter in (b"M", b"L", b"T"):
        rows = [
            line for line in lines[1:]
            if line and line.split(b"\t")[i_flag] == b"OK"
            and line.split(b"\t")[i_type].startswith(letter)
            and line.split(b"\t")[i_type][1:2].isdigit()
        ]
        chosen += rows[:n_per_class]
    absent_rows = [line for line in lines[1:] if line and line not in chosen][:absent]
    for line in chosen:
        name = line.split(b"\t")[i_file].decode() + ".gz"
        shutil.copyfile(shared_data / "spex_prism" / "spectra" / name, folder / name)
        files.append(name)
    metadata = b"\r".join([lines[0], *chosen, *absent_rows]) + b"\r"
    (folder / "spectral_data.txt").write_bytes(metadata)
    shutil.copyfile(shared_data / "spex_prism" / "metadata" / "sources.csv",
                    folder / "sources.csv")
    if monkeypatch is not None:
        pin_spex_metadata(monkeypatch, folder)
    return files, [r.split(b"\t")[i_file].decode() + ".gz" for r in absent_rows]
