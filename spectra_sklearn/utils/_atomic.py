"""Write a file so that readers never see it half-written."""

import contextlib
import errno
import os
import secrets
from pathlib import Path

__all__ = ["atomic_write"]

# Errors of os.link on file systems without hard links (FAT, some network mounts).
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK,
                  errno.ENOSYS, errno.EACCES}


def _create_temporary(path):
    """Create ``.<name>.<random>.part`` beside ``path`` exclusively (``O_EXCL``).

    Mode 0o666 filtered by the process umask (applied by the kernel), so the
    result has the permissions :func:`open` would give, without reading the
    umask (``os.umask`` changes it process-wide, which is not thread-safe).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.part"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue


def _publish_exclusively(tmp, path):
    """Give ``tmp`` the name ``path`` only if ``path`` does not exist, atomically.

    ``os.link`` fails if the target exists, so a file another process created
    since the early check is never replaced. Where the file system has no
    hard links, a plain existence check then rename is the fallback.
    """
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(
            f"{path} was created by someone else while it was being written; refusing "
            "to overwrite it (pass overwrite/--force to replace it)."
        ) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if path.exists():
            raise FileExistsError(
                f"{path} exists; refusing to overwrite it (pass overwrite/--force to "
                "replace it)."
            ) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_write(path, mode="wb", *, overwrite=True, **open_kwargs):
    """Open a temporary file beside ``path`` and rename it over ``path`` on success.

    The temporary file lives in the destination folder (same file system), so
    the final :func:`os.replace` is atomic: ``path`` holds either its old
    content or the complete new content, never a partial write. If the block
    raises (a full disk included), the temporary file is removed and ``path``
    is left untouched. With ``overwrite=False`` the file is published with
    :func:`os.link`, which fails if ``path`` exists: a file another process
    creates while this one is written is never replaced. The file gets the
    permissions :func:`open` gives (``0o666`` less the umask).

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
        If ``overwrite=False`` and ``path`` exists, before writing or (created
        meanwhile by someone else) at the end; the new content is then
        discarded.

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
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _publish_exclusively(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
