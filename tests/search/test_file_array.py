"""FileArray indexes like the numpy array it stores, reading the file, never mapping it."""

from __future__ import annotations

import os

import numpy as np
import pytest

from search import file_array
from search.file_array import FileArray, OpenFile

HEAD = 24  # bytes before the array, as a sidecar's header


@pytest.fixture(params=["libc", "os"])
def stored(request, tmp_path, monkeypatch):
    if request.param == "os":
        monkeypatch.setattr(file_array, "_PREAD", None)
    else:
        assert file_array._PREAD is not None  # Linux: the read that keeps the GIL
    values = (np.arange(1000, dtype=np.int64) * 7919) % 10007 - 5000
    path = tmp_path / "a.bin"
    path.write_bytes(b"h" * HEAD + values.astype("<i8").tobytes() + b"tail")
    fd = os.open(path, os.O_RDONLY)
    return values, FileArray(OpenFile(fd), HEAD, "<i8", len(values)), path


def test_slices_integers_and_index_arrays_give_what_numpy_gives(stored):
    values, arr, _path = stored
    for key in (slice(0, 10), slice(990, 2000), slice(-5, None), slice(None), slice(10, 3), slice(3, 50, 7),
                slice(None, None, -3), slice(500, 500)):
        got = arr[key]
        assert isinstance(got, np.ndarray) and got.dtype == values.dtype
        assert got.tolist() == values[key].tolist(), key
    for i in (0, 1, 999, -1, -1000, np.int64(17)):
        assert arr[i] == values[i] and isinstance(arr[i], np.integer)
    for idx in ([5, 3, 900], np.array([7, 7, 8]), np.array([-1, 0]), np.zeros(0, np.int64),
                np.array([[1, 2], [3, 998]])):
        assert arr[idx].tolist() == values[idx].tolist()
    assert len(arr) == arr.size == 1000 and arr.shape == (1000,)
    assert np.asarray(arr).tolist() == values.tolist()
    assert np.asarray(arr, np.float64).dtype == np.float64


def test_reads_out_of_bounds_are_index_errors(stored):
    _values, arr, _path = stored
    for key in (1000, -1001, [0, 1000], np.array([-1001])):
        with pytest.raises(IndexError):
            arr[key]
    with pytest.raises(IndexError):
        arr[np.array([True, False])]
    with pytest.raises(IndexError):
        arr[1.5]


def test_a_file_cut_short_after_opening_is_an_os_error_not_garbage(stored):
    values, arr, path = stored
    assert arr[990:].tolist() == values[990:].tolist()
    os.truncate(path, HEAD + 995 * 8)
    assert arr[:995].tolist() == values[:995].tolist()
    with pytest.raises(OSError, match="short"):
        arr[990:]


def test_the_descriptor_closes_with_the_last_array(tmp_path):
    path = tmp_path / "b.bin"
    path.write_bytes(np.arange(4, dtype=np.int32).tobytes())
    opened = OpenFile(os.open(path, os.O_RDONLY))
    fd = opened.fd
    a, b = FileArray(opened, 0, np.int32, 2), FileArray(opened, 8, np.int32, 2)
    del opened, a
    assert os.readlink(f"/proc/self/fd/{fd}") == str(path)
    assert b[:].tolist() == [2, 3]
    del b
    assert not os.path.exists(f"/proc/self/fd/{fd}") or os.readlink(f"/proc/self/fd/{fd}") != str(path)
