"""Read-only arrays that live in a file and are read a slice at a time, never mapped.

A memory-mapped file counts every page a process has touched in its RSS, once
in each server worker, and a kernel whose page cache holds large folios (6.18
with ext4 here) maps a whole 2 MB folio for one byte read: at 1M articles a
second of queries mapped ~2.2 GB into each worker. Read into a buffer instead,
a slice costs the process only the buffer, for as long as the query keeps it;
the file's pages stay in the page cache, which every worker shares.

The reads hold the GIL. `os.pread` releases it for each read, and a query makes
~130 small reads from the page cache (a microsecond each): with 4 threads in a
worker, each release hands the GIL to another thread and the reader waits for
it back (session 10 measured os.pread slower than the mapping). A page-cache
read with the GIL held costs what a page fault on a mapping cost, which held
it too.
"""

from __future__ import annotations

import ctypes
import errno
import os
import weakref

import numpy as np


def _libc_pread():
    try:
        fn = ctypes.PyDLL(None, use_errno=True).pread  # PyDLL: the GIL is not released
    except (AttributeError, OSError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int64]
    fn.restype = ctypes.c_ssize_t
    return fn


_PREAD = _libc_pread()


class OpenFile:
    """A file descriptor (open for reading) shared by the arrays of one file, closed
    when the last of them goes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._closer = weakref.finalize(self, os.close, self.fd)

    def read(self, offset: int, nbytes: int) -> memoryview | bytes:
        """Exactly `nbytes` from `offset`; OSError if the file is shorter now."""
        if _PREAD is None:
            return self._read_os(offset, nbytes)
        buf = (ctypes.c_char * nbytes)()
        done = 0
        while done < nbytes:
            got = _PREAD(self.fd, ctypes.addressof(buf) + done, nbytes - done, offset + done)
            if got > 0:
                done += got
            elif got == 0:
                raise OSError(errno.EIO, f"file ends {nbytes - done} bytes short of a read")
            elif (code := ctypes.get_errno()) != errno.EINTR:
                raise OSError(code, os.strerror(code))
        return buf

    def _read_os(self, offset: int, nbytes: int) -> bytes:
        data = os.pread(self.fd, nbytes, offset)
        while len(data) < nbytes:
            more = os.pread(self.fd, nbytes - len(data), offset + len(data))
            if not more:
                raise OSError(errno.EIO, f"file ends {nbytes - len(data)} bytes short of a read")
            data += more
        return data


class FileArray:
    """A 1-d array of `count` items of `dtype` at `offset` in a file.

    Indexing reads what it needs and gives ordinary numpy results: a slice an
    array, an integer a scalar, an array of indexes the gathered items (read as
    the one run from the least to the greatest index).
    """

    __slots__ = ("file", "offset", "dtype", "size", "__weakref__")

    def __init__(self, file: OpenFile, offset: int, dtype, count: int) -> None:
        self.file = file
        self.offset = offset
        self.dtype = np.dtype(dtype)
        self.size = count

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    def __len__(self) -> int:
        return self.size

    def read(self, start: int, stop: int) -> np.ndarray:
        """Items [start, stop), bounds already within the array."""
        n = stop - start
        if n <= 0:
            return np.empty(0, self.dtype)
        size = self.dtype.itemsize
        return np.frombuffer(self.file.read(self.offset + start * size, n * size), self.dtype, n)

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.size)
            return self.read(start, stop) if step == 1 else self.read(0, self.size)[key]
        if isinstance(key, (int, np.integer)):
            i = int(key)
            if i < 0:
                i += self.size
            if not 0 <= i < self.size:
                raise IndexError(f"index {int(key)} is out of bounds for size {self.size}")
            return self.read(i, i + 1)[0]
        idx = np.asarray(key)
        if idx.dtype == bool or not np.issubdtype(idx.dtype, np.integer):
            raise IndexError("only integers, slices and integer arrays index a FileArray")
        if idx.size == 0:
            return np.empty(idx.shape, self.dtype)
        idx = np.where(idx < 0, idx + self.size, idx)
        lo, hi = int(idx.min()), int(idx.max()) + 1
        if lo < 0 or hi > self.size:
            raise IndexError(f"an index is out of bounds for size {self.size}")
        return self.read(lo, hi)[idx - lo]

    def __array__(self, dtype=None):
        whole = self.read(0, self.size)
        return whole if dtype is None else whole.astype(dtype)
