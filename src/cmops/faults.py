"""Fault injection for the crash tests, and nothing else.

``CMOPS_CRASH_AT=name:n`` makes the process kill itself with SIGKILL the n-th time it reaches
the point called ``name`` (e.g. ``after-send:2``): a real, unclean death at an exact
instruction, which is what the publisher's state must survive. Unset in normal runs, where
each point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    """Fault injection for the crash tests: ``CMOPS_CRASH_AT=name:n`` kills this process
    with SIGKILL the n-th time it reaches ``name``. Unset in normal runs."""
    spec = os.environ.get("CMOPS_CRASH_AT")
    if not spec or not spec.startswith(name + ":"):
        return
    count = int(os.environ.get("_CMOPS_CRASH_COUNT", "0")) + 1
    os.environ["_CMOPS_CRASH_COUNT"] = str(count)
    if count >= int(spec.split(":", 1)[1]):
        os.kill(os.getpid(), signal.SIGKILL)
