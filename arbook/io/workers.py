"""Sharing CPU-bound Python work with a forked worker process on the second core.

arbook's long steps are Python loops (rendering cells, composing letters), which one process
runs on one core. Where ``fork`` is cheap and safe (Linux), a worker forked from this process
already holds every input in memory, so only an index goes in and the result comes back.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.pool
import os
import pickle
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

_TASK: Callable[[int], object] | None = None  # set only in the parent around a fork


def fork_available() -> bool:
    """Whether work can be shared with a forked worker process (cheap and safe on Linux)."""
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1


def fork_pool() -> multiprocessing.pool.Pool:
    """One forked worker process, with the garbage collector off: it inherits this process's
    heap copy-on-write, and a collection would walk every object of it (a million rows'
    worth), copying the pages it touches; a worker lives for one step and makes no cycles."""
    return multiprocessing.get_context("fork").Pool(1, initializer=gc.disable)


def _run_in_worker(index: int) -> bytes | None:
    """The task's result, pickled here: None if it failed or does not pickle. (A result
    that cannot be unpickled would stop the pool's result thread and hang the parent, so
    the parent unpickles it itself.)"""
    assert _TASK is not None
    try:
        return pickle.dumps(_TASK(index))
    except Exception:  # noqa: BLE001 - the parent runs it again and raises its error
        return None


_FAILED = object()


def _unpickled(data: bytes | None) -> object:
    if data is None:
        return _FAILED
    try:
        return pickle.loads(data)
    except Exception:  # noqa: BLE001 - made again here instead
        return _FAILED


def in_order(task: Callable[[int], T], count: int, share_from: int = 2) -> Iterator[T]:
    """``task(0), task(1), ...`` in order, the odd ones run by a forked worker while this
    process does the even ones (and whatever the caller does with each result before asking
    for the next: a patch writes each chunk as it comes); one after the other where fork is
    not available or there are fewer than ``share_from`` tasks (a fork costs more).

    ``task`` must not change anything this process needs afterwards (the worker's changes
    stay in the worker): it returns what it made. A task the worker could not finish (an
    exception, a result that does not pickle) is run again here, so its error is raised
    exactly as without the worker.
    """
    global _TASK
    if count < max(share_from, 2) or not fork_available():
        yield from map(task, range(count))
        return
    _TASK = task
    try:
        with fork_pool() as pool:
            theirs = {k: pool.apply_async(_run_in_worker, (k,)) for k in range(1, count, 2)}
            for k in range(count):
                if k not in theirs:
                    yield task(k)
                    continue
                done = _unpickled(theirs.pop(k).get())
                yield task(k) if done is _FAILED else done
    finally:
        _TASK = None


def in_two(task: Callable[[int], T], count: int) -> list[T]:
    """``in_order`` as a list."""
    return list(in_order(task, count))
