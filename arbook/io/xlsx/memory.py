"""Give memory back to the system after a large scan or patch.

Scanning or patching a million-row sheet allocates and frees thousands of medium-sized arrays;
glibc keeps the freed heap for the process, so the RSS of a long session (the nightly job on
one open workbook) only grows. ``malloc_trim`` returns it. Measured on the 1M-row session
(one WorkbookFile for the night, ledger prefetched): every step's peak 100-150 MB lower,
2.00 -> 1.89 GB overall.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache


@cache
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to do
        return None


def release_freed_memory() -> None:
    """Return freed heap memory to the system where the C library can (glibc); else nothing."""
    trim = _trim()
    if trim is not None:
        trim(0)
