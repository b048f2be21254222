"""The local web reader: a read-only view of the store (issue 7).

app = create_app(config, engine)   # an ASGI app; `newsvault serve` runs it with uvicorn
"""

from .app import create_app

__all__ = ["create_app"]
