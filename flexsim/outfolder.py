"""Output folder: a results folder written all or nothing.

A writer claims TARGET before any work, writes into `TARGET.partial/` and, when done, renames it
to TARGET, so TARGET is either absent, the old results or the complete new ones, never half of
anything. A writer stopped by an error or a signal leaves `TARGET.partial/` with a `PARTIAL` file
naming the cause. The writer holds an `flock` on its partial folder while it lives: a partial
folder nobody holds was left by a stopped writer and is emptied and reused; one that is held
belongs to a live writer, and this one writes into `TARGET.partial-PID/` instead. Of two writers
to one target the second to finish finds TARGET changed and keeps its results in
`TARGET.partial-PID/`.

    with OutputFolder("out/run", overwrite=False) as folder:  # claims, or OutFolderError
        write_files_into(folder.path)
    # committed here; an exception instead leaves out/run.partial/PARTIAL and propagates
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

PARTIAL = "PARTIAL"
MANIFEST = "manifest.json"  # what marks a folder as results that --overwrite may replace
STOPS = {signal.SIGINT, signal.SIGTERM}
Identity = tuple[int, int]  # (st_dev, st_ino): which folder sits at a path


class OutFolderError(Exception):
    """An output folder that cannot be claimed or committed; the message says why."""


class OutputFolder:
    """One output folder written all or nothing; see the module docstring."""

    def __init__(
        self,
        target: str | os.PathLike[str],
        overwrite: bool = False,
        resume: bool = False,
        resumable: bool = False,
    ) -> None:
        """Name the target (refused when empty); `overwrite` lets a commit replace the results
        folder found there at claim time, whole; `resume` keeps what a stopped writer left in
        `TARGET.partial/` to go on from it (and refuses when a live writer holds it); a
        `resumable` writer's stopped work is worth keeping, so it is never emptied unasked:
        without `resume` or `overwrite`, a non-empty stale `TARGET.partial/` is refused."""
        raw = os.fspath(target)
        if not raw:
            raise OutFolderError("an empty path names no folder")
        path = Path(raw)
        if path.name in ("", ".."):  # '.', 'a/..', '/': take the name from the full path
            path = Path(os.path.abspath(raw))
        if not path.name:
            raise OutFolderError("the root folder cannot be a results folder")
        self.target = path
        self.overwrite = overwrite
        self.resume = resume
        self.resumable = resumable
        self._partial = path.with_name(f"{path.name}.partial")
        self._fallback = path.with_name(f"{path.name}.partial-{os.getpid()}")
        self._was: Identity | None = None
        self._path: Path | None = None
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        """The folder this writer's files are in: the partial one until committed."""
        if self._path is None:
            raise RuntimeError("OutputFolder.claim() was not called")
        return self._path

    def claim(self) -> Path:
        """Check the target and take a partial folder to write into; return it.

        Refused, with OutFolderError, before any work is done: a target that is not a folder, a
        non-empty folder without `overwrite`, a non-empty folder without a manifest.json (not
        results, so never replaced), and a place where no folder can be made.
        """
        try:
            self._was = self._examine()
            self.target.parent.mkdir(parents=True, exist_ok=True)
            with _signals_held():  # a stop comes once the partial folder is ours, or before
                self._take()
        except OSError as error:
            raise OutFolderError(f"cannot write there ({_reason(error)})") from None
        return self.path

    def commit(self) -> Path:
        """Rename the partial folder to the target and return it; under `overwrite` the old
        folder is moved aside first and deleted after. Raises OutFolderError, keeping the
        results in `TARGET.partial-PID/`, when the target is no longer what claim() found."""
        try:
            with _signals_held(), _locked(self.target.parent):
                if _identity(self.target) != self._was:
                    raise self._conflict()
                self._move_in()
        except OSError as error:
            raise OutFolderError(
                f"cannot move the results into place ({_reason(error)}); "
                f"they are kept in {self.path}/"
            ) from None
        finally:
            self._release()
        return self.path

    def abandon(self, cause: str) -> Path:
        """Leave the partial folder as it is, with a PARTIAL file naming `cause`; return it."""
        with _signals_held(), suppress(OSError):  # the cause may be a full disk: best effort
            stopped = datetime.now(UTC).isoformat(timespec="seconds")
            text = f"Incomplete: process {os.getpid()} stopped writing at {stopped}.\n"
            (self.path / PARTIAL).write_text(f"{text}cause: {cause}\n", "utf-8")
        self._release()
        return self.path

    def __enter__(self) -> OutputFolder:
        try:
            self.claim()
        except BaseException as error:  # a stop just after the claim: the partial is ours
            if self._fd is not None:
                self.__exit__(type(error), error, error.__traceback__)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Commit after a clean block; after an exception, abandon and note where the partial
        results are."""
        if error is None:
            self.commit()
            return
        kept = self.abandon(f"{type(error).__name__}: {error}".removesuffix(": "))
        error.add_note(f"partial results kept in {kept}/")

    def _examine(self) -> Identity | None:
        """The identity of the folder at the target, None if there is none; refuse the rest."""
        try:
            info = os.lstat(self.target)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISDIR(info.st_mode):
            raise OutFolderError("exists and is not a folder")
        entries = os.listdir(self.target)
        if entries and self.resume:
            raise OutFolderError("is complete already; there is nothing to resume")
        if entries and not self.overwrite:
            raise OutFolderError("already holds files; --overwrite replaces the folder whole")
        if entries and MANIFEST not in entries:
            raise OutFolderError(
                f"is a folder without {MANIFEST}, so not results; it is never overwritten"
            )
        return info.st_dev, info.st_ino

    def _take(self) -> None:
        """Lock TARGET.partial, emptying what a stopped writer left there; when a live writer
        holds it, make and lock TARGET.partial-PID instead."""
        with suppress(FileExistsError):
            self._partial.mkdir()
        fd = os.open(self._partial, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if self.resume:
                raise OutFolderError(
                    f"another process is writing {self._partial}/ now; it cannot be resumed "
                    "until that process stops"
                ) from None
            self._fallback.mkdir()
            fd = os.open(self._fallback, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(fd, fcntl.LOCK_EX)  # a new folder of ours: granted at once
            self._path, self._fd = self._fallback, fd
            return
        self._path, self._fd = self._partial, fd
        if self.resume:
            with suppress(FileNotFoundError):
                (self._partial / PARTIAL).unlink()  # it is being completed now
            return
        if self.resumable and not self.overwrite and os.listdir(self._partial):
            self._release()
            raise OutFolderError(
                f"{self._partial}/ holds what a stopped run finished: --resume goes on from it, "
                "--overwrite starts afresh"
            )
        try:
            _empty(self._partial)
        except OSError:
            self._release()
            raise

    def _move_in(self) -> None:
        """Put the partial folder at the target, which claim() found as it is now."""
        if self._was is None or not self.overwrite:
            # absent, or the empty folder found at claim, which rename replaces (and which it
            # refuses to replace if files appeared in it meanwhile)
            os.rename(self.path, self.target)
            self._path = self.target
            return
        old = self.target.with_name(f"{self.target.name}.replaced-{os.getpid()}")
        os.rename(self.target, old)
        try:
            os.rename(self.path, self.target)
        except OSError:
            os.rename(old, self.target)
            raise
        self._path = self.target
        shutil.rmtree(old, ignore_errors=True)  # the new results are in place already

    def _conflict(self) -> OutFolderError:
        """The error for a target that changed since claim(), after moving this writer's
        results from TARGET.partial (where the next writer would reuse them) to
        TARGET.partial-PID."""
        if self.path == self._partial and not self._fallback.exists():
            with suppress(OSError):
                os.rename(self._partial, self._fallback)
                self._path = self._fallback
        return OutFolderError(
            "another writer finished first and wrote it meanwhile; "
            f"this run's results are kept in {self.path}/"
        )

    def release(self) -> None:
        """Let go of the partial folder, as it is, without committing or marking it."""
        self._release()

    def _release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _identity(path: Path) -> Identity | None:
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return info.st_dev, info.st_ino


def _empty(folder: Path) -> None:
    """Delete everything in `folder`, keeping the folder (and the lock on it)."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def _reason(error: OSError) -> str:
    return f"{error.filename}: {error.strerror}" if error.filename else str(error.strerror)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive flock on `folder`, so that writers commit into it one at a time."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, so that a stop cannot split a commit
    (old folder moved aside, new one not yet in place) or a PARTIAL file."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
