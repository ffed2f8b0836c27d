"""The batch files a sharded build streams to its shard tasks (search/spool.py): read while
they are written, and given up on when the run stops or its coordinator is gone."""

from __future__ import annotations

import threading
import time

import pytest

from search import spool


def test_a_batch_is_read_as_it_is_written_even_mid_line(tmp_path):
    beat = spool.Heartbeat(tmp_path)
    try:
        path = tmp_path / "b.jsonl"
        writer = spool.BatchWriter(path)
        got = []
        reader = threading.Thread(target=lambda: got.extend(spool.read(path)))
        reader.start()
        writer.append({"id": "a", "text": "اول"})
        writer._fh.flush()
        time.sleep(0.1)
        # Half a line on disk (cut inside a multi-byte character): the reader waits for the rest.
        writer._fh.write('{"id": "b", "text": "دو')
        writer._fh.flush()
        time.sleep(0.1)
        assert reader.is_alive() and got == [{"id": "a", "text": "اول"}]
        writer._fh.write('م"}\n')
        writer.count += 1
        writer.end()
        reader.join(timeout=10)
        assert not reader.is_alive()
        assert got == [{"id": "a", "text": "اول"}, {"id": "b", "text": "دوم"}]
    finally:
        beat.stop()


def test_an_aborted_batch_raises_instead_of_ending(tmp_path):
    beat = spool.Heartbeat(tmp_path)
    try:
        writer = spool.BatchWriter(tmp_path / "b.jsonl")
        writer.append({"id": "a"})
        writer.abort("KeyboardInterrupt")
        with pytest.raises(spool.BatchAborted, match="KeyboardInterrupt"):
            list(spool.read(tmp_path / "b.jsonl"))
    finally:
        beat.stop()


def test_a_silent_or_vanished_coordinator_is_given_up_on(tmp_path):
    writer = spool.BatchWriter(tmp_path / "b.jsonl")
    writer.append({"id": "a"})
    writer._fh.flush()
    (tmp_path / spool.HEARTBEAT).touch()  # a heartbeat nobody renews
    t0 = time.monotonic()
    with pytest.raises(spool.BatchAborted, match="not been heard from"):
        list(spool.read(tmp_path / "b.jsonl", stall=0.3))
    assert 0.3 <= time.monotonic() - t0 < 5
    (tmp_path / spool.HEARTBEAT).unlink()  # a later run cleared the spool
    with pytest.raises(spool.BatchAborted, match="is gone"):
        list(spool.read(tmp_path / "b.jsonl"))
