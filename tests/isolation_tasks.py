"""Tasks for the isolation tests: module-level functions, so that a child process can import them."""
import os
import time


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 2**20)
    return len(block)


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def spin(seconds: float) -> int:
    end, n = time.time() + seconds, 0
    while time.time() < end:
        n += 1
    return n


def crash() -> None:
    os.abort()


def fail() -> None:
    raise ValueError("値が不正です")


def write_file(path: str, megabytes: int) -> int:
    with open(path, "wb") as fh:
        return fh.write(b"x" * (megabytes * 2**20))


def where_am_i() -> tuple[str, int]:
    return os.getcwd(), os.getpid()
