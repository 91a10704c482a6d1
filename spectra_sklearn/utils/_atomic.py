"""Write a file so that readers never see it half-written."""

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]

# mkstemp creates 0600 files; give the result the permissions open() would.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(path, mode="wb", *, overwrite=True, **open_kwargs):
    """Open a temporary file beside ``path`` and rename it over ``path`` on success.

    The temporary file lives in the destination folder (same file system), so
    the final :func:`os.replace` is atomic: ``path`` holds either its old
    content or the complete new content, never a partial write. If the block
    raises, the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file. Its folder must exist.
    mode : {'wb', 'w'}, default='wb'
        Binary or text mode.
    overwrite : bool, default=True
        If False and ``path`` exists, raise :class:`FileExistsError` before
        writing anything.
    **open_kwargs
        Passed to :func:`open` (e.g. ``encoding``, ``newline``).

    Yields
    ------
    file object
        The open temporary file.

    Raises
    ------
    FileExistsError
        If ``overwrite=False`` and ``path`` exists.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from spectra_sklearn.utils import atomic_write
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target, "w") as f:
    ...     _ = f.write("done")
    >>> target.read_text()
    'done'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write mode must be 'wb' or 'w'; got {mode!r}.")
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsError(
            f"{path} exists; refusing to overwrite it (pass overwrite/--force to replace it)."
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
