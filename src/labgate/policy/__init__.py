"""The one policy module: pure decisions over plain facts (see `facts`).

No I/O, no SQLAlchemy, no JupyterHub. Every enforcement point (CLI services, the hub's
authenticator and spawner, the API, the enforcer) asks these functions and never
re-implements a rule. `may_*`/`validate_*` return a Decision; `Decision.check()` raises.
"""
