"""How a batch of ablations is scored: in process, in threads or processes, or on Ray.

``ProcessBackend`` (``backends.process``) and ``RayBackend`` (``backends.ray``) are imported
from their modules, so that ``import ablatio`` loads neither multiprocessing pools nor ray.
"""

from ablatio.backends.base import Backend, SerialBackend, ThreadBackend, get_backend

__all__ = ["Backend", "SerialBackend", "ThreadBackend", "get_backend"]
