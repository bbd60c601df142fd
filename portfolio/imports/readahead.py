"""`portfolio import FILE`: the sheet is read in a second process while this one loads the
database layer and builds the app, so a large import waits for the slower of the two, not both.

Only the console script starts it (`allow()`, before any thread exists: a fork copies only the
forking thread), only where `fork` exists, and only for a plain read: no `--profile` (its
choices are in the database) and no choice that changes how the sheet is read. The parent uses
the result only for exactly the bytes, sheet and limits it would have read itself; otherwise,
or if the child fails in any way, it reads the sheet itself. This module imports nothing heavy:
it runs before the app exists.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle  # noqa: S403 - from our own child process, in a file only the two hold
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importers.options import ReadOptions
    from importers.results import ReadResult

_allowed = False


def allow() -> None:
    """Called by the console script only: tests and other callers read in their own process."""
    global _allowed
    _allowed = True


@dataclass
class ReadAhead:
    """A child process reading `path`; its answer is in the unnamed temporary file `fd` once it
    has ended (a file, not a pipe: a pipe's 64 KB would make the two processes take turns)."""

    pid: int
    fd: int
    sheet: str | None
    reaped: bool = False

    def take(
        self, data: bytes, *, sheet: str | None, options: ReadOptions, max_bytes: int
    ) -> ReadResult | None:
        """The child's result if it read exactly `data` as the parent would; None means read it
        here. A workbook the child refused is refused here with the same WorkbookError."""
        from importers.container import MAX_BYTES
        from importers.options import ReadOptions

        if sheet != self.sheet or options != ReadOptions() or max_bytes != MAX_BYTES:
            self.close()
            return None
        answer = self._answer()
        if answer is None or answer[1] != hashlib.sha256(data).digest():
            return None
        kind, _digest, payload = answer
        if kind == "refused":
            raise payload
        return payload  # type: ignore[no-any-return]

    def _answer(self) -> tuple[str, bytes, Any] | None:
        status = self._reap()
        try:
            with os.fdopen(self.fd, "rb") as file:
                if status != 0:
                    return None  # it failed, or was killed: read it here instead
                file.seek(0)  # the child's writes moved the offset the two share
                answer = pickle.load(file)  # noqa: S301 - our own child's bytes
        except Exception:  # noqa: BLE001 - an answer that cannot be read: read it here instead
            return None
        return answer if isinstance(answer, tuple) and len(answer) == 3 else None

    def _reap(self) -> int | None:
        """Waits for the child to end; its exit status (0: it answered)."""
        if self.reaped:
            return None
        self.reaped = True
        try:
            _pid, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return None
        return os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        """Stops the child if its answer is no longer wanted (the command failed first)."""
        if self.reaped:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self._reap()


def start(path: Path, *, sheet: str | None, plain: bool) -> ReadAhead | None:
    """Starts reading `path` in a child process; None where that is not allowed or possible.
    `plain`: the command has no choice that changes how the sheet is read."""
    if not (_allowed and plain and hasattr(os, "fork")):
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None  # the command says the file is missing, as before
    if size == 0:
        return None
    fd, name = tempfile.mkstemp(prefix="portfolio-import-")
    os.unlink(name)  # unnamed: only the two processes hold it, and it goes when they close it
    pid = os.fork()
    if pid == 0:  # the child: read, answer, and leave without running the parent's exit code
        gc.disable()  # as the parent's import: no collection walks the rows read so far
        code = 0
        try:
            answer = _read(path, sheet)
            with os.fdopen(fd, "wb") as file:
                pickle.dump(answer, file, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001 - any failure: the parent reads it itself
            code = 1
        os._exit(code)
    return ReadAhead(pid=pid, fd=fd, sheet=sheet)


def _read(path: Path, sheet: str | None) -> tuple[str, bytes, Any]:
    from importers.results import WorkbookError
    from importers.workbook import read_workbook

    data = path.read_bytes()
    digest = hashlib.sha256(data).digest()
    try:
        return ("read", digest, read_workbook(data, sheet=sheet))
    except WorkbookError as exc:
        return ("refused", digest, exc)
