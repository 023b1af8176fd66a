"""User templates run with a time limit, in a worker process that is ended if one takes too long.

Jinja's sandbox stops templates from reaching into Python, but not from looping: two nested
loops over large ranges run for hours. A thread cannot be stopped, and ``signal.alarm`` does
not exist on Windows, so letters from a user's template override are rendered by one worker
process, reused for the run; a render over the limit ends the worker and becomes a
``TemplateProblem`` naming the template, and nothing is recorded or sent. The packaged default
templates are trusted and rendered in the calling process.
"""

from __future__ import annotations

import atexit
import multiprocessing
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

from arbook.mail import TemplateProblem

RENDER_SECONDS = 20.0  # per letter (subject, text and HTML): a normal one takes milliseconds

_pool: Pool | None = None


def render_guarded(lang: str, override_dir: Path, kind: str, context: dict[str, Any],
                   seconds: float = RENDER_SECONDS):
    """``TemplateSet(lang, override_dir).render(kind, context)`` in the worker, or a
    TemplateProblem when it takes longer than ``seconds``."""
    global _pool
    if _pool is None:
        _pool = multiprocessing.Pool(processes=1)
    pending = _pool.apply_async(_render_in_worker, (lang, str(override_dir), kind, context))
    try:
        return pending.get(timeout=seconds)
    except multiprocessing.TimeoutError:
        _stop()
        raise TemplateProblem(
            f"{Path(override_dir) / lang}: rendering the '{kind}' letter took longer than "
            f"{seconds:g} s and was stopped (a loop in your template override?). Fix or delete "
            "the override to use the default; nothing was sent.") from None


def _render_in_worker(lang: str, override_dir: str, kind: str, context: dict[str, Any]):
    """In the worker: a fresh TemplateSet each time, so an edited override is always read."""
    from arbook.mail.render import TemplateSet

    return TemplateSet(lang, Path(override_dir), guarded=False).render(kind, context)


def _stop() -> None:
    global _pool
    if _pool is not None:
        _pool.terminate()
        _pool.join()
        _pool = None


atexit.register(_stop)
