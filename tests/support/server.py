"""The tests' HTTP server is the demo's: one implementation, exercised by both."""

from newsvault.demo.server import Hit, LocalServer, Route

__all__ = ["Hit", "LocalServer", "Route"]
