"""Reading members of zip archives we did not write, within declared bounds."""

__all__ = ["read_zip_member"]


def read_zip_member(archive, name, limit, where, *, what="archive"):
    """Bytes of member ``name`` of ``archive``, refusing more than ``limit``.

    The size a member claims is checked before anything is decompressed,
    and at most ``limit + 1`` bytes are ever read, so a zip bomb or a
    member whose header lies costs no more than ``limit`` bytes of memory.

    Parameters
    ----------
    archive : zipfile.ZipFile
        An open archive.
    name : str
        The member to read.
    limit : int
        Largest number of decompressed bytes accepted.
    where : str
        How error messages name the file (e.g. its quoted path).
    what : str, default="archive"
        What a complete file is, for the message about a missing member.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        If the member is missing, claims more than ``limit`` bytes, or
        holds more.
    """
    try:
        member = archive.getinfo(name)
    except KeyError:
        raise ValueError(f"{where} has no {name!r}; it is not a complete {what}") from None
    if member.file_size > limit:
        raise ValueError(f"{where}: {name!r} claims {member.file_size} bytes, more than "
                         f"the {limit} a {what} may hold")
    with archive.open(member) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{where}: {name!r} holds more than {limit} bytes")
    return data
