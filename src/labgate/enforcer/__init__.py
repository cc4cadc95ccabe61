"""The enforcer: makes time and change take effect on running workspaces.

A JupyterHub-managed service (`python -m labgate.enforcer`) that, every
`interval_seconds`:

stops      running workspaces policy no longer allows, or whose project lost a grant
           since they started (WS-4, PROJ-8)                          -> stops
deletes    a project's data at its deletion deadline, after its workspaces stopped,
           through the data store, with its confirmation (PROJ-8, PROJ-9) -> deletions
warns      owners and managers before the end of access, and security officers of an
           overdue quarterly control (LOG-5), each notice once         -> notices

Decisions are pure (`decide`, `labgate.policy`); I/O is the hub API (`hubapi`), the
database (`gather`, `ledger`) and the data store. Every action is replay-safe and
recorded exactly once in the audit log as `labgate-enforcer` (LOG-1), so a kill -9 at
any moment followed by a restart finishes the work without doing anything twice.
"""
