"""onnxruntime sessions of jobs' ONNX files, loaded once and kept in a bounded cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import onnxruntime as ort


class SessionCache:
    """The ``capacity`` most recently used sessions, by artifact key (a key names one
    attempt's file, so a cached session never outlives what it was loaded from)."""

    def __init__(self, load: Callable[[str], bytes], capacity: int) -> None:
        self.load, self.capacity = load, capacity
        self._sessions: OrderedDict[str, ort.InferenceSession] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> ort.InferenceSession:
        with self._lock:
            session = self._sessions.get(key)
            if session is not None:
                self._sessions.move_to_end(key)
                return session
        session = _session(self.load(key))  # outside the lock: loading takes milliseconds
        with self._lock:
            self._sessions[key] = session
            self._sessions.move_to_end(key)
            while len(self._sessions) > self.capacity:
                self._sessions.popitem(last=False)
        return session

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._sessions

    def __len__(self) -> int:
        return len(self._sessions)


def _session(model: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    # A request is a few rows: one thread answers fastest and leaves the cores to the
    # other requests (and to workers on the same machine).
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
