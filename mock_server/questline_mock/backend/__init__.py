"""The server's domain layer: state plus logic, no HTTP (moto's "backend").

Handlers in ``http/`` parse a request, call one function here with plain values, and
serialise what it returns. Everything here works through the storage interface and the
pure engine, and reads time only from the project's clock.
"""

from .core import Backend, ProjectScope

__all__ = ["Backend", "ProjectScope"]
