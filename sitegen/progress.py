"""A progress bar for long builds: shown on a terminal only, quiet in CI and pipes."""

from __future__ import annotations

import os
import sys
from typing import Any


class Progress:
    """Counts finished jobs; draws a tqdm bar after two seconds when stderr is a terminal."""

    def __init__(self, total: int, quiet: bool = False) -> None:
        self.bar: Any = None
        if quiet or os.environ.get("CI") or not sys.stderr.isatty():
            return
        from tqdm import tqdm

        # No monitor thread: render workers are forked after the bar is made, and
        # nothing may fork while a thread runs (see sitegen.parallel).
        tqdm.monitor_interval = 0
        self.bar = tqdm(total=total, unit="file", delay=2.0, leave=False, file=sys.stderr)

    def advance(self, count: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
