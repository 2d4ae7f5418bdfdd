"""Writing ``calendar/pause.yaml`` (the crisis switch), atomically.

The file is written by hand-built YAML with every string JSON-quoted (a JSON string is a valid
YAML double-quoted scalar), so a reason like ``no`` or ``10:30`` stays text.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from cmops.atomic import write_atomic

PAUSE_FILE = "calendar/pause.yaml"
_HEADER = ("# yaml-language-server: $schema=../schemas/pause.schema.json\n"
           "# Crisis pause, written by cmops pause / cmops resume. While paused is true,\n"
           "# nothing is published on the channels it covers.\n")


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_pause(root: Path, *, reason: str, since: datetime, channels: list[str] | None = None,
                by: str | None = None) -> Path:
    lines = [_HEADER + "paused: true", f"reason: {_q(reason)}",
             f"since: {_q(since.isoformat(timespec='seconds').replace('+00:00', 'Z'))}"]
    if by:
        lines.append(f"by: {_q(by)}")
    if channels:
        lines.append("channels: [" + ", ".join(_q(c) for c in channels) + "]")
    path = root / PAUSE_FILE
    write_atomic(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def write_resume(root: Path) -> Path:
    path = root / PAUSE_FILE
    write_atomic(path, (_HEADER + "paused: false\n").encode("utf-8"))
    return path
