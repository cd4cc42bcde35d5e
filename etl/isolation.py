"""Running untrusted work (an analyst's SQL, an uploaded file) in a child process under OS limits.

DuckDB's memory_limit bounds only its buffer manager and interrupt() acts only between vectors, so a
single scalar call (levenshtein on long strings) can allocate gigabytes or run for minutes, and a
crafted XLSX can make a parser allocate without bound. Such work therefore runs in a child process
with a memory cap (RLIMIT_DATA, RLIMIT_AS as a backstop), a CPU-time cap, a lower scheduling priority, no file writes
(RLIMIT_FSIZE = 0) unless the task is a load, a private empty working directory, and a wall-clock
kill. Children are forked from a forkserver that has already imported duckdb and pandas: a fresh
process per task costs tens of milliseconds, and nothing one visitor ran survives into the next task.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import resource
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass

from etl.errors import ShinchokuError

MiB = 1024 * 1024
PRELOAD = ["duckdb", "pandas", "pyarrow", "etl.isolation", "etl.worker_preload"]
# Two cores: at most two analysts' queries at once, and one upload check or load beside them, so that
# anonymous queries can never hold signed-in loaders off. Process-wide on purpose (a limit on this
# server's children, shared by every session).
_POOLS = {"query": threading.BoundedSemaphore(2), "upload": threading.BoundedSemaphore(1)}


@dataclass(frozen=True)
class Limits:
    memory_bytes: int  # memory the task may allocate beyond what the forkserver child starts with
    seconds: float  # wall clock, from the child's start to its answer
    may_write_files: bool = False  # loads write the warehouse; queries and checks write nothing
    max_result_bytes: int = 64 * MiB  # the pickled answer the server accepts
    queue_seconds: float = 15.0  # how long a task waits for a free slot
    pool: str = "query"  # which slots it waits for: "query" (SQL) or "upload" (checks and loads)


class LimitExceeded(ShinchokuError):
    """The task was stopped by a limit; the message is Japanese and for the user."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # time | memory | result | busy | crashed


_CTX: mp.context.BaseContext | None = None
_CTX_LOCK = threading.Lock()


def _context() -> mp.context.BaseContext:
    global _CTX  # one forkserver per server process, started on first use
    with _CTX_LOCK:
        if _CTX is None:
            ctx = mp.get_context("forkserver")
            # "__main__" too: the server's main module (the streamlit script) is imported once by the
            # forkserver instead of once per child
            ctx.set_forkserver_preload(PRELOAD + ["__main__"])
            _CTX = ctx
        return _CTX


def _vm(field: str) -> int:
    """VmSize / VmData of this process in bytes."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _apply_limits(limits: Limits, workdir: str) -> None:
    """Limits for this (child) process, working in its private directory."""
    tempfile.gettempdir()  # found (by writing a probe file) and cached before writes are forbidden
    os.chdir(workdir)
    import etl.worker_preload  # noqa: F401 - already imported by the forkserver; here for safety only
    # RLIMIT_DATA counts what the task really allocates (heap and private mappings, DuckDB's and
    # Python's); RLIMIT_AS, at twice the budget, is the backstop for anything that maps memory otherwise.
    data_cap = _vm("VmData") + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_DATA, (data_cap, data_cap))
    as_cap = _vm("VmSize") + 2 * limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (as_cap, as_cap))
    cpu = int(limits.seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not limits.may_write_files:
        # writing beyond 0 bytes fails with EFBIG instead of killing the child with SIGXFSZ
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    os.nice(5)  # the dashboard's own pages come first


def _child(conn, workdir: str, fn, args: tuple, kwargs: dict, limits: Limits) -> None:
    try:
        _apply_limits(limits, workdir)
        answer = ("ok", fn(*args, **kwargs))
    except MemoryError:
        answer = ("memory", None)
    except BaseException as e:  # noqa: BLE001 - every failure goes back to the server, typed
        answer = ("memory", None) if type(e).__name__ == "OutOfMemoryException" else ("error", e)
    try:
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps(("memory", None))
    except Exception as e:  # noqa: BLE001 - an exception that cannot be pickled
        data = pickle.dumps(("error", RuntimeError(f"{type(e).__name__}: {e}")))
    if len(data) > limits.max_result_bytes:
        data = pickle.dumps(("result", len(data)))
    conn.send_bytes(data)
    conn.close()


def run(fn, *args, limits: Limits, **kwargs):
    """fn(*args, **kwargs) in a child process under limits; its return value, or its exception re-raised.

    fn must be importable by name (a module-level function). Raises LimitExceeded when a limit fired.
    """
    slots = _POOLS[limits.pool]
    if not slots.acquire(timeout=limits.queue_seconds):
        raise LimitExceeded("busy", "ほかの処理が混み合っています。しばらくしてから、もう一度実行してください")
    try:
        ctx = _context()
        # created (0700) and removed here, so that it goes even when the child is killed
        workdir = tempfile.mkdtemp(prefix="shinchoku-task-")
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(sender, workdir, fn, args, kwargs, limits), daemon=True)
        proc.start()
        sender.close()
        try:
            if not receiver.poll(limits.seconds):
                raise LimitExceeded("time", f"{limits.seconds:g}秒以内に終わらなかったため中断しました")
            try:
                kind, value = pickle.loads(receiver.recv_bytes(limits.max_result_bytes + 1024))
            except (EOFError, OSError):
                raise LimitExceeded("crashed", "処理が異常終了しました(メモリや時間の上限を超えた可能性があります)") from None
        finally:
            receiver.close()
            proc.join(1)  # a child that has answered exits at once
            if proc.is_alive():
                proc.kill()
                proc.join(5)
            shutil.rmtree(workdir, ignore_errors=True)
    finally:
        slots.release()
    if kind == "ok":
        return value
    if kind == "memory":
        raise LimitExceeded("memory", f"メモリの上限({limits.memory_bytes // MiB:,} MB)を超えたため中断しました")
    if kind == "result":
        raise LimitExceeded("result", f"結果が大きすぎます({value // MiB:,} MB、上限 {limits.max_result_bytes // MiB:,} MB)。"
                                      "列や行を絞ってください")
    raise value


def warm_up() -> float:
    """Start the forkserver now (seconds taken), so that the first visitor's task does not pay for it."""
    start = time.perf_counter()
    run(os.getpid, limits=Limits(memory_bytes=64 * MiB, seconds=30))
    return time.perf_counter() - start
