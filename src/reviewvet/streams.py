"""Reading a file that may be a pipe, so that Ctrl-C is acted on while it waits.

Python notes a signal at once but raises KeyboardInterrupt only between steps of its own: a
Ctrl-C that lands after a pipe is opened and before the read begins would wait, noted and
unheeded, until the writer closes the pipe. A pipe, FIFO or terminal is therefore read in short
waits; a regular file in one read.
"""

from __future__ import annotations

import io
import os
import select
import stat
from typing import BinaryIO

WAIT_SECONDS = 0.1  # how long one wait for a pipe lasts before Python may act on a Ctrl-C
CHUNK = 64 * 1024


def read_at_most(handle: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``handle``, to its end."""
    try:
        fd = handle.fileno()
    except (OSError, io.UnsupportedOperation):
        return handle.read(limit)  # not a file of the system (a test's stand-in): read as it reads
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return handle.read(limit)
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        ready, _, _ = select.select([fd], [], [], WAIT_SECONDS)
        if not ready:
            continue
        chunk = os.read(fd, min(CHUNK, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
