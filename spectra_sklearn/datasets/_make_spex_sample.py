"""Make the SpeX Prism Library sample shipped with the package.

Run ``python -m spectra_sklearn.datasets._make_spex_sample --data-home DIR``
with ``DIR`` laid out like the data home (``DIR/spex_prism/...``). The result
is deterministic (fixed seed): it rewrites ``data/spex_sample/`` beside this
file with

* ``spectra/*.fits.gz`` -- the chosen files, copied byte for byte;
* ``spectral_data.txt`` -- the header and the chosen lines of the library's
  metadata table, byte for byte (tab-separated, CR line endings);
* ``sources.csv`` -- the header and the lines of the chosen objects in the
  library's ``sources.csv`` (photometry, parallax, proper motion), byte for
  byte, in file order;
* ``LICENSE.splat`` -- the MIT licence of the files.

Selection, for each class M, L, T in turn (an object used in one class is
not used again): among the spectra typed in that class with
``QUALITY_FLAG`` OK, draw ``N_PAIRS`` objects having at least two such
spectra and keep two spectra of each; then fill up to ``N_PER_CLASS`` with
one spectrum of further objects, always from the least-filled integer
subtype that still has candidates, so the subtypes are spread as evenly as
the library allows.
"""

import argparse
import math
import shutil
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from ._home import get_data_home
from ._spex_metadata import _source_records, parse_spectral_type, read_spectral_data

SEED = 2014
N_PER_CLASS = 100
N_PAIRS = 10
CLASSES = ("M", "L", "T")
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "data" / "spex_sample"


def select_rows(
    columns, has_file, *, seed=SEED, n_per_class=N_PER_CLASS, n_pairs=N_PAIRS
):
    """Row indices of the sample, in metadata order.

    Parameters
    ----------
    columns : dict of str to ndarray
        Parsed ``spectral_data.txt`` (see ``read_spectral_data``).
    has_file : ndarray of bool
        Whether the FITS file of each row exists.
    seed, n_per_class, n_pairs : int
        Random seed, spectra per class, objects with two spectra per class.

    Returns
    -------
    ndarray of int
        Sorted row indices.
    """
    rng = np.random.default_rng(seed)
    parts = [parse_spectral_type(t) for t in columns["SPEX_TYPE"]]
    letter = np.array([p[1] for p in parts])
    subtype = np.array([p[2] for p in parts])
    source = columns["SOURCE_KEY"]
    usable = has_file & (columns["QUALITY_FLAG"] == "OK")
    used_sources = set()
    chosen = []
    for cls in CLASSES:
        by_source = {}
        for i in np.flatnonzero(usable & (letter == cls)):
            if source[i] not in used_sources:
                by_source.setdefault(int(source[i]), []).append(int(i))
        sources = sorted(by_source)
        multi = [s for s in sources if len(by_source[s]) >= 2]
        if len(multi) < n_pairs:
            raise ValueError(f"Only {len(multi)} {cls} objects have two OK spectra.")
        pairs = sorted(int(s) for s in rng.choice(multi, size=n_pairs, replace=False))
        picked = []
        for s in pairs:
            two = rng.choice(by_source[s], size=2, replace=False)
            picked += sorted(int(i) for i in two)
        queues = {}
        for s in sources:
            if s in pairs:
                continue
            i = int(rng.choice(by_source[s]))
            queues.setdefault(math.floor(subtype[i]), []).append(i)
        for b in queues:
            queues[b] = [queues[b][k] for k in rng.permutation(len(queues[b]))]
        counts = Counter(math.floor(subtype[i]) for i in picked)
        while len(picked) < n_per_class:
            open_bins = [b for b in sorted(queues) if queues[b]]
            if not open_bins:
                raise ValueError(
                    f"Only {len(picked)} {cls} spectra available; {n_per_class} wanted."
                )
            b = min(open_bins, key=lambda b: (counts[b], b))
            picked.append(queues[b].pop())
            counts[b] += 1
        chosen += picked
        used_sources.update(int(source[i]) for i in picked)
    return np.array(sorted(chosen), dtype=np.int64)


def make_sample(data_home, output=DEFAULT_OUTPUT):
    """Write the sample into ``output`` from the library in ``data_home``.

    Returns
    -------
    ndarray of int
        The metadata rows written.
    """
    library = Path(data_home) / "spex_prism"
    meta_path = library / "metadata" / "spectral_data.txt"
    sources_path = library / "metadata" / "sources.csv"
    licence = library / "LICENSE.splat"
    for needed in (meta_path, sources_path, licence):
        if not needed.is_file():
            raise FileNotFoundError(
                f"{needed} not found: --data-home must be a folder laid out like the "
                "shared data (spex_prism/metadata/spectral_data.txt, sources.csv, "
                "spex_prism/spectra/*.fits.gz, spex_prism/LICENSE.splat)."
            )
    raw = meta_path.read_bytes()
    header, lines, columns = read_spectral_data(raw, meta_path)
    files = [f if f.endswith(".gz") else f + ".gz" for f in columns["DATA_FILE"]]
    has_file = np.array(
        [bool(f) and (library / "spectra" / f).is_file() for f in files]
    )
    rows = select_rows(columns, has_file)

    output = Path(output)
    spectra = output / "spectra"
    spectra.mkdir(parents=True, exist_ok=True)
    for old in spectra.glob("*.fits.gz"):
        old.unlink()
    for i in rows:
        shutil.copyfile(library / "spectra" / files[i], spectra / files[i])
    eol = b"\r" if b"\r" in raw and b"\n" not in raw else b"\n"
    head = raw.splitlines()[0]
    table = eol.join([head] + [lines[i] for i in rows]) + eol
    (output / "spectral_data.txt").write_bytes(table)
    wanted = {int(columns["SOURCE_KEY"][i]) for i in rows}
    raw_sources = sources_path.read_bytes()
    header, source_lines, records = _source_records(raw_sources, sources_path)
    at = header.index("SOURCE_KEY")
    kept = [line for line, record in zip(source_lines, records)
            if record[at].strip().isdigit() and int(record[at]) in wanted]
    sources_eol = b"\r\n" if b"\r\n" in raw_sources else b"\n"
    (output / "sources.csv").write_bytes(
        sources_eol.join([raw_sources.splitlines()[0]] + kept) + sources_eol
    )
    shutil.copyfile(licence, output / "LICENSE.splat")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-home",
        default=None,
        help="folder laid out like the data home (default: get_data_home())",
    )
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="output folder (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    home = get_data_home(args.data_home)
    rows = make_sample(home, args.output)
    _, _, columns = read_spectral_data(
        (Path(args.output) / "spectral_data.txt").read_bytes(), "sample"
    )
    classes = Counter(parse_spectral_type(t)[1] for t in columns["SPEX_TYPE"])
    print(
        f"Wrote {len(rows)} spectra of {len(set(columns['SOURCE_KEY'].tolist()))} "
        f"objects ({dict(sorted(classes.items()))}) to {args.output}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
