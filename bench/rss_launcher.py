"""Run a command and write its own peak RSS (bytes) to a file.

Linux keeps a process's RSS high-water mark across fork and exec, so a stage forked straight from a
large parent (pytest, a long benchmark run) reports the parent's size. Forking the stage from this
small launcher instead makes `ru_maxrss` the stage's own peak.

usage: python -m bench.rss_launcher RESULT_FILE COMMAND [ARGS...]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# ru_maxrss is in kilobytes on Linux (bytes on macOS)
RSS_UNIT = 1 if sys.platform == "darwin" else 1024


def main(argv: list[str]) -> int:
    result_file, command = Path(argv[0]), argv[1:]
    proc = subprocess.Popen(command)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    result_file.write_text(str(int(usage.ru_maxrss) * RSS_UNIT))
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
