"""How a batch of ablations is scored: in process, in threads, or on a Ray cluster."""

from ablatio.backends.base import Backend, SerialBackend, ThreadBackend, get_backend

__all__ = ["Backend", "SerialBackend", "ThreadBackend", "get_backend"]
