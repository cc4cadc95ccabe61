"""The one policy module: pure decisions over plain facts (see `facts`).

No I/O, no clock, no SQLAlchemy, no JupyterHub: `now`/`today` are parameters. Every
enforcement point (CLI services, the hub's authenticator and spawner, the API, the
enforcer) asks these functions and never re-implements a rule. `may_*`/`validate_*`
return a Decision (stable kebab-case `reason`, a sentence for people); `.check()` raises.

identity     institutions and the authorisation register (INST-1..3, AUTH-1)
projects     what a project states, its terms, renewal, extension (PROJ-1..3);
             re-exports lifecycle (PROJ-8) and memberships (PROJ-4)
grants       variables, years, justifications, sub-project limits (DATA-4/5, PROJ-5)
workspaces   who may open a workspace on what, now (WS-1, AUTH-5)
minimisation project-database reports (PROJ-6, PROJ-7)
control      the quarterly control (LOG-5)
"""
