"""Work shared with a forked worker: the same results, in order, and the same errors."""

from __future__ import annotations

import os

import pytest

from arbook.io import workers

needs_fork = pytest.mark.skipif(not workers.fork_available(), reason="no fork on this system")


@needs_fork
def test_results_come_back_in_order_and_the_odd_ones_from_a_worker():
    parent = os.getpid()
    got = workers.in_two(lambda k: (k * k, os.getpid()), 7)
    assert [square for square, _pid in got] == [k * k for k in range(7)]
    assert {pid for k, (_sq, pid) in enumerate(got) if k % 2 == 0} == {parent}
    assert parent not in {pid for k, (_sq, pid) in enumerate(got) if k % 2 == 1}


class Unpicklable(Exception):
    def __init__(self, what: str, where: int):  # pickles, but does not unpickle
        super().__init__(f"{what} at {where}")
        self.where = where


def test_a_workers_error_is_raised_as_it_would_be_here():
    def task(k: int) -> int:
        if k == 3:
            raise Unpicklable("broken", k)
        return k

    with pytest.raises(Unpicklable, match="broken at 3"):
        workers.in_two(task, 5)


def test_a_result_that_does_not_pickle_is_made_here():
    got = workers.in_two(lambda k: (lambda: k), 4)  # a lambda does not pickle
    assert [make() for make in got] == [0, 1, 2, 3]


def test_without_fork_everything_runs_here(monkeypatch):
    monkeypatch.setattr(workers, "fork_available", lambda: False)
    assert workers.in_two(lambda k: (k, os.getpid()), 3) == [(k, os.getpid()) for k in range(3)]


def test_a_task_cannot_change_the_callers_state_through_the_worker():
    """What the docstring warns of: the worker's changes stay in the worker."""
    seen: list[int] = []
    workers.in_two(seen.append, 4)
    assert seen == ([0, 2] if workers.fork_available() else [0, 1, 2, 3])


@needs_fork
def test_the_worker_never_collects_garbage():
    """A collection in the worker would walk, and copy, the heap it shares with this process."""
    import gc

    assert workers.in_two(lambda _k: gc.isenabled(), 2)[1] is False


def test_fewer_tasks_than_worth_a_fork_run_here():
    assert list(workers.in_order(lambda _k: os.getpid(), 3, share_from=4)) == [os.getpid()] * 3
