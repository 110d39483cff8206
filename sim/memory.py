"""Allocator settings for batched runs: keep freed memory for the next day's arrays.

A batch's per-pair arrays (about 1 MB each at the default district and 64 runs) lie
above glibc's initial mmap threshold (128 kB). Until glibc's own adaptive threshold has
caught up, each is mapped afresh and its pages are faulted in, and freed memory at the
heap top goes back to the operating system, to be faulted in again the next day: about
800 page faults a day, some 10-15% of a cold batch's CPU time on these machines
(``make bench``, district scale). :func:`keep_freed_memory` fixes the thresholds once
per process (``mallopt``; Linux with glibc, a no-op elsewhere): arrays up to 32 MB come
from the heap and up to 128 MB of freed memory is kept for reuse.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: glibc ``mallopt`` parameters (malloc.h) and the values set.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 128 * 2**20

_done = False


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds for this process (once; later calls no-ops).

    Returns:
        True when the thresholds are set (now or before), False where ``mallopt`` is not
        available (not Linux, or not glibc).
    """
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
