"""atomic_write: no process-wide umask change, no-overwrite under concurrency (issue 17)."""

import stat
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from spectra_sklearn.utils import atomic_write


def test_import_does_not_touch_the_umask():
    # os.umask sets the mask process-wide (a race with other threads); the module
    # must not call it at import.
    code = (
        "import os\n"
        "def refuse(*a):\n"
        "    raise AssertionError('os.umask called')\n"
        "os.umask = refuse\n"
        "import spectra_sklearn.utils._atomic\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_file_gets_the_permissions_open_gives(tmp_path):
    code = (
        "import os, sys\n"
        "os.umask(0o027)\n"
        "from spectra_sklearn.utils import atomic_write\n"
        "with atomic_write(sys.argv[1], 'w') as f:\n"
        "    f.write('x')\n"
    )
    target = tmp_path / "perm.txt"
    subprocess.run([sys.executable, "-c", code, str(target)], check=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_file_created_meanwhile_is_never_replaced(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(FileExistsError, match="created by someone else"):
        with atomic_write(target, "w", overwrite=False) as f:
            f.write("ours")
            target.write_text("theirs")  # another process, between check and rename
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left


def test_existing_file_refused_before_writing_and_replaced_with_overwrite(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        with atomic_write(target, "w", overwrite=False) as f:
            raise AssertionError("the block must not run")  # pragma: no cover
    with atomic_write(target, "w") as f:
        f.write("new")
    assert target.read_text() == "new"


def test_network_save_that_fails_keeps_the_old_file(tmp_path, monkeypatch):
    from spectra_sklearn.nn import SpectrumCNNClassifier, load

    rng = np.random.default_rng(0)
    X = rng.normal(1.0, 0.1, (20, 16))
    y = np.where(np.arange(20) % 2 == 0, "a", "b")
    clf = SpectrumCNNClassifier(max_epochs=1, n_filters=2, random_state=0).fit(X, y)
    path = tmp_path / "model.zip"
    clf.save(path)
    before = path.read_bytes()

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full_disk)
    with pytest.raises(OSError, match="No space left"):
        clf.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.zip"]
    np.testing.assert_allclose(load(path).predict_proba(X), clf.predict_proba(X))
