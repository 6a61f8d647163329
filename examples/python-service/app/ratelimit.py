"""A fixed-window, per-client request counter kept in memory."""

import threading
import time


class RateLimiter:
    def __init__(self, limit, window, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._windows = {}

    def allow(self, client):
        """Count one request of ``client``; False once it is over the limit."""
        now = self.clock()
        with self._lock:
            start, count = self._windows.get(client, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._windows[client] = (start, count)
            return count <= self.limit

    def retry_after(self, client):
        """Whole seconds until ``client``'s window starts over."""
        with self._lock:
            start, _ = self._windows.get(client, (self.clock(), 0))
        return max(1, int(self.window - (self.clock() - start)) + 1)
