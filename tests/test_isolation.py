"""Untrusted work runs in a child process: memory, time and result caps, no file writes, a clean answer."""
import os
import time

import pytest

from etl import isolation
from etl.isolation import LimitExceeded, Limits
from tests import isolation_tasks as tasks

SMALL = Limits(memory_bytes=200 * isolation.MiB, seconds=5)


def test_returns_the_answer_from_another_process():
    cwd, pid = isolation.run(tasks.where_am_i, limits=SMALL)
    assert pid != os.getpid()
    assert "shinchoku-task-" in cwd and not os.path.exists(cwd)  # a private folder, removed afterwards


def test_memory_cap():
    assert isolation.run(tasks.allocate, 50, limits=SMALL) == 50 * 2**20
    with pytest.raises(LimitExceeded) as info:
        isolation.run(tasks.allocate, 400, limits=SMALL)
    assert info.value.kind == "memory" and "メモリ" in str(info.value)


@pytest.mark.parametrize("task", [tasks.sleep, tasks.spin])
def test_wall_clock_kill(task):
    start = time.perf_counter()
    with pytest.raises(LimitExceeded) as info:
        isolation.run(task, 30, limits=Limits(memory_bytes=100 * isolation.MiB, seconds=1.0))
    assert info.value.kind == "time" and "中断" in str(info.value)
    assert time.perf_counter() - start < 2.0 + 1.0


def test_a_crash_is_reported_not_raised_as_a_traceback():
    with pytest.raises(LimitExceeded) as info:
        isolation.run(tasks.crash, limits=SMALL)
    assert info.value.kind == "crashed" and "異常終了" in str(info.value)


def test_the_task_s_own_errors_come_back_typed():
    with pytest.raises(ValueError, match="値が不正です"):
        isolation.run(tasks.fail, limits=SMALL)


def test_no_file_writes_unless_allowed(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(OSError):
        isolation.run(tasks.write_file, str(target), 1, limits=SMALL)
    assert not target.exists() or target.stat().st_size == 0
    allowed = Limits(memory_bytes=200 * isolation.MiB, seconds=5, may_write_files=True)
    assert isolation.run(tasks.write_file, str(target), 1, limits=allowed) == 2**20


def test_result_cap():
    with pytest.raises(LimitExceeded) as info:
        isolation.run(tasks.where_am_i, limits=Limits(memory_bytes=100 * isolation.MiB, seconds=5, max_result_bytes=10))
    assert info.value.kind == "result"
