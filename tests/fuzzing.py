"""Shared knobs for fuzz tests: few examples by default, more with ARBOOK_FUZZ_EXAMPLES.

`ARBOOK_FUZZ_EXAMPLES=2000 pytest -q tests/test_fuzz_importers.py` runs a deeper campaign; the
default keeps the suite fast. Each case has a wall-clock limit so a hang fails instead of stalling.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("ARBOOK_FUZZ_EXAMPLES", "50"))
CASE_SECONDS = 2.0


def fuzz_settings(examples: int = EXAMPLES) -> settings:
    """Hypothesis settings for a fuzz target: `examples` cases, each within CASE_SECONDS."""
    return settings(max_examples=examples, deadline=timedelta(seconds=CASE_SECONDS),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@contextmanager
def time_limit(seconds: float = 5 * CASE_SECONDS) -> Iterator[None]:
    """Fail with TimeoutError when the block runs longer (a hang), using SIGALRM (POSIX)."""
    def _alarm(_signum, _frame):
        raise TimeoutError(f"case ran longer than {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def mutate(original: bytes, rng: random.Random) -> bytes:
    """One to six byte flips, cuts or repeats: the damage real files get in transit."""
    data = bytearray(original)
    for _ in range(rng.randint(1, 6)):
        if not data:
            break
        pos = rng.randrange(len(data))
        roll = rng.random()
        if roll < 0.4:
            data[pos] = rng.randrange(256)
        elif roll < 0.7:
            del data[pos:pos + rng.randint(1, 40)]
        else:
            data[pos:pos] = data[rng.randrange(len(data)):][:rng.randint(1, 60)]
    return bytes(data)
