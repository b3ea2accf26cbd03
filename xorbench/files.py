"""Files read and written safely: bounded reads, atomic writes, no symbolic links followed.

Everything xorbench writes goes through :func:`atomic_write_bytes` (a temporary file
created exclusively, without following links, synced, then renamed over the target:
readers see the old file or the new one, never half, and a link at the target is
replaced, not written through) into folders checked by :func:`ensure_folder` (real
folders, never links). What it reads from a user — a grid file, a manifest — goes
through :func:`read_text`: a regular file, at most a stated size, so ``/dev/zero`` or
a huge file is refused before it fills the memory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from pathlib import Path

from xorbench.errors import XorbenchError

# O_NOFOLLOW exists on POSIX; elsewhere links are checked with lstat first.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class LinkError(XorbenchError):
    """A symbolic link where xorbench writes: it is never followed."""


class NotTextError(XorbenchError):
    """A file read as text that is not UTF-8 (told apart by its type, never by its
    message: a path may well contain "UTF-8")."""


def is_link(path: Path) -> bool:
    return os.path.islink(path)


def refuse_link(path: Path, what: str = "") -> None:
    """Raise LinkError if ``path`` is a symbolic link."""
    if is_link(path):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        loop = "" if os.path.exists(path) else ", which does not resolve: missing, or a loop"
        raise LinkError(f"{path}: is a symbolic link (to {target}{loop}){what}; xorbench "
                        f"follows no links where it writes or keeps results: replace it with "
                        f"the real file or folder, or give the real path")


def ensure_folder(path: Path) -> Path:
    """``path`` as a real folder (created with its parents if missing); LinkError if it
    is a link, XorbenchError if it (or a parent) is a file."""
    refuse_link(path)
    if os.path.lexists(path) and not path.is_dir():
        raise XorbenchError(f"{path}: is {file_kind(path) or 'a file'}, not a folder; "
                            f"move it away")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a parent is a file, or this meanwhile
        raise XorbenchError(f"{path}: cannot be a folder (it, or a folder above it, is a "
                            f"file)") from None
    refuse_link(path)  # created by someone else meanwhile
    if not path.is_dir():
        raise XorbenchError(f"{path}: is a file, not a folder")
    return path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half.

    The temporary file is created exclusively and without following links; on any
    failure (a full disk, say) it is removed and the error names ``path``.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)  # rename replaces a link at `path`, never its target
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OSError(e.errno, e.strerror or str(e), str(path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_folder(path.parent)


def write_all(fd: int, data: bytes) -> None:
    """``data`` to the file descriptor ``fd``, however many writes it takes."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_text(path: Path, limit: int, what: str, follow_links: bool = True) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    XorbenchError names the file and says why otherwise: missing, a folder, not a
    regular file (a device, a pipe: never read), too large, not UTF-8, or (with
    ``follow_links=False``) a link. ``what`` names the kind of file in messages.
    """
    flags = os.O_RDONLY | (0 if follow_links else _NOFOLLOW)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:
            refuse_link(path)
        if e.errno == errno.ENOENT:
            raise XorbenchError(f"{path}: no such {what}") from None
        raise XorbenchError(f"{path}: cannot read the {what} ({e.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise XorbenchError(f"{path}: is a folder, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise XorbenchError(f"{path}: is not a regular file (a device, a pipe or a socket);"
                                f" a {what} is a small text file")
        if info.st_size > limit:
            raise XorbenchError(f"{path}: {info.st_size:,} bytes is too large for a {what} "
                                f"(at most {limit:,})")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew while being read
                raise XorbenchError(f"{path}: too large for a {what} (at most {limit:,} bytes)")
    except OSError as e:
        raise XorbenchError(f"{path}: cannot read the {what} ({e.strerror})") from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise NotTextError(f"{path}: is not UTF-8 text; a {what} is text") from None


def os_reason(error: OSError) -> str:
    """An OSError's reason in words: ``No space left on device``, also from pyarrow's
    ``[Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device``."""
    if error.errno and not error.strerror:
        return os.strerror(error.errno)
    if error.strerror:
        return error.strerror
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text.rsplit("] ", 1)[-1] if "Detail: [errno" in text else text


def file_kind(path: Path) -> str | None:
    """What is at ``path``, in words (``a file``, ``a pipe``, ``a broken symbolic link``);
    None if nothing is."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISLNK(mode):
        return "a broken symbolic link" if not path.exists() else "a symbolic link to a non-file"
    return next((kind for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe"),
                                          (stat.S_ISSOCK, "a socket")) if test(mode)), "a device")
