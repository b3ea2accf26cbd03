"""``<folder>/.lock``: one sweep at a time writes a results folder.

The lock file names its holder (pid, host, since). On POSIX it is ``flock``-ed,
so the kernel releases it when its process dies, however it dies (kill -9, power
loss): a lock file left behind is stale exactly when nobody holds its flock, and
the next sweep takes it over. Elsewhere the pid in the file decides.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import stat
from pathlib import Path

from xorbench.errors import LockedError, ResultsError
from xorbench.files import refuse_link
from xorbench.results.manifest import now

try:  # POSIX: the lock is an flock, released by the kernel when its process dies
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to the pid in the file
    fcntl = None

LOCK = ".lock"


class FolderLock:
    """``<folder>/.lock``: held by the one sweep writing the folder, naming its pid.

    On POSIX the file is ``flock``-ed: the kernel releases the lock when its process
    dies, however it dies (kill -9, power loss), so a lock file left behind is stale
    exactly when nobody holds its flock. Elsewhere the pid in the file decides.
    """

    def __init__(self, folder: Path):
        self.path = folder / LOCK
        self.fd: int | None = None

    def acquire(self) -> dict | None:
        """Take the lock; the info of a stale lock that was taken over, else None.

        Raises LockedError when a live process holds it.
        """
        info = {"pid": os.getpid(), "host": platform.node(), "since": now()}
        if fcntl is None:  # pragma: no cover
            return self._acquire_by_pid(info)
        while True:
            fd = self._open(os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_lock(fd)
                os.close(fd)
                raise LockedError(self._busy_message(holder)) from None
            # The holder before us may have unlinked the file between our open and
            # our flock: then we hold a lock on a file nobody else will see. Retry.
            try:
                current = os.stat(self.path).st_ino
            except FileNotFoundError:
                current = None
            if current != os.fstat(fd).st_ino:
                os.close(fd)
                continue
            stale = _read_lock(fd)
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
            os.fsync(fd)
            self.fd = fd
            return stale or None

    def _open(self, flags: int) -> int:
        """The lock file's descriptor, never through a link (LinkError instead) and never
        anything but a regular file: a pipe at ``.lock`` is opened without blocking and
        refused (ResultsError), so nothing waits for a writer that never comes."""
        try:
            fd = os.open(self.path, flags | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_NONBLOCK", 0), 0o644)
        except OSError as e:
            if e.errno == errno.ELOOP:
                refuse_link(self.path)
            if e.errno == errno.ENXIO:  # a pipe nobody reads, opened for writing
                raise ResultsError(self._not_a_file()) from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ResultsError(self._not_a_file())
        return fd

    def _not_a_file(self) -> str:
        return (f"{self.path}: is not a regular file (a pipe, a device or a socket); a lock "
                f"is a small file xorbench writes itself: remove it")

    def _acquire_by_pid(self, info: dict) -> dict | None:  # pragma: no cover - not POSIX
        stale = None
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = _read_lock_file(self.path)
                if holder.get("host") == platform.node() and not _pid_alive(holder.get("pid")):
                    stale = holder
                    with contextlib.suppress(FileNotFoundError):
                        self.path.unlink()
                    continue
                raise LockedError(self._busy_message(holder)) from None
            os.write(fd, (json.dumps(info) + "\n").encode())
            self.fd = fd
            return stale
        raise LockedError(self._busy_message(_read_lock_file(self.path)))

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # before unlocking: a waiter then sees the inode change
        os.close(self.fd)
        self.fd = None

    def held_by_other(self) -> dict | None:
        """The holder's info if another live process holds the lock now, else None."""
        if not self.path.exists():
            return None
        if fcntl is None:  # pragma: no cover
            holder = _read_lock_file(self.path)
            return holder if _pid_alive(holder.get("pid")) else None
        try:
            fd = self._open(os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_lock(fd) or {"pid": "?"}
        else:
            return None
        finally:
            os.close(fd)  # also drops the shared lock we may have taken

    def _busy_message(self, holder: dict) -> str:
        folder = self.path.parent
        who = f"pid {holder.get('pid', '?')}"
        if holder.get("host") and holder.get("host") != platform.node():
            who += f" on {holder['host']}"
        since = f", since {holder['since']}" if holder.get("since") else ""
        return (f"{folder}: another sweep is writing this folder ({who}{since}); wait for it "
                f"to finish, stop it, or give this one another --out")


def _read_lock(fd: int) -> dict:
    """The holder a lock file names; {} for a damaged one (not JSON, nested too deeply,
    not an object): what it says is only shown, never relied on."""
    try:
        return _holder(os.pread(fd, 4096, 0).decode())
    except (OSError, ValueError):
        return {}


def _holder(text: str) -> dict:
    try:
        holder = json.loads(text or "{}")
    except (ValueError, RecursionError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _read_lock_file(path: Path) -> dict:  # pragma: no cover - not POSIX
    try:
        return _holder(path.read_text())
    except (OSError, ValueError):
        return {}


def _pid_alive(pid: object) -> bool:  # pragma: no cover - not POSIX
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
