"""Growing delays after failed sign-ins, per account and per client, instead of a hard lock.

A hard lock lets anyone keep an account locked with a few wrong guesses; a delay that
doubles with each failure past a few free ones slows guessing just as well and lets the
right person in once the delay has passed. Counted in memory against a monotonic clock:
nothing about the client is written to disk, and a laptop clock set wrong changes nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    next_allowed: float = 0.0
    last: float = 0.0


class Throttle:
    """Failures per key (an account name, a client address, ...), with a growing delay.

    After `free` failures in a row each further one doubles the wait, from `base` seconds
    up to `cap`; a success clears the key; a key idle for `forget` seconds is dropped.
    """

    def __init__(self, free: int = 5, base: float = 1.0, cap: float = 900.0,
                 forget: float = 86400.0, max_keys: int = 100_000, clock=time.monotonic):
        self.free, self.base, self.cap, self.forget = free, base, cap, forget
        self.max_keys, self.clock = max_keys, clock
        self._entries: dict = {}
        self._lock = threading.Lock()

    def wait(self, *keys) -> float:
        """Seconds until an attempt on all of `keys` is allowed (0 when it is now)."""
        now = self.clock()
        with self._lock:
            return max([0.0] + [self._entries[k].next_allowed - now
                                for k in keys if k in self._entries])

    def failed(self, *keys) -> float:
        """Count a failure on each key; return the longest wait it now imposes."""
        now = self.clock()
        with self._lock:
            self._prune(now)
            for key in keys:
                entry = self._entries.setdefault(key, _Entry())
                entry.failures += 1
                entry.last = now
                over = entry.failures - self.free
                if over >= 0:
                    entry.next_allowed = now + min(self.cap, self.base * 2 ** min(over, 40))
            return max([0.0] + [self._entries[k].next_allowed - now for k in keys])

    def succeeded(self, *keys) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def failures(self, key) -> int:
        with self._lock:
            entry = self._entries.get(key)
            return entry.failures if entry else 0

    def _prune(self, now: float) -> None:
        if len(self._entries) < self.max_keys:
            stale = [k for k, e in self._entries.items() if now - e.last > self.forget] \
                if len(self._entries) > 1000 else []
        else:
            # Full (a flood of made-up names): forget the oldest half.
            by_age = sorted(self._entries, key=lambda k: self._entries[k].last)
            stale = by_age[:len(by_age) // 2]
        for key in stale:
            del self._entries[key]
