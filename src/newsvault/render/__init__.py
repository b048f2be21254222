"""Writing what the store holds: the Markdown tree, its version history, the static site.

The format itself is `newsvault.archive` (pure); this package reads the store
and writes files, each file atomically and only when its bytes changed.
"""
