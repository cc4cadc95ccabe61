"""Enforcement points for administrative writes: look up, ask policy, write, audit.

Each function takes an open write session and the acting `Actor`; it raises a
`LabgateError` (and writes nothing) when input is bad or policy refuses. The CLI, the API
and the hub call these; none of them re-implements a rule.
"""
