"""A faithful simulator of the Dr Green "dapp" partner API.

Runs as a separate process (``python -m sandbox``) with its own SQLite storage,
real HTTP and real ECDSA signature verification, so the client library and the
rest of drgreen-store can be exercised end to end without the real backend.
See ``sandbox/testing.py`` for the helper used by test suites.
"""
