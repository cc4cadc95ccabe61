"""The tamper-evident audit log (LOG-1..LOG-6).

- `types`: the one vocabulary of transaction types.
- `chain`: the canonical encoding and hash that chain events together.
- `timestamps`: integer microseconds and UTC days, the log's units of time.
- `log`: appending events inside the caller's transaction, with the daily counts.
- `verify`, `verify_rows`: proving the chain intact or naming the first broken event
  (`verify_rows` is what the parallel worker processes run).
- `events`: an event as read back; `search`: finding events (and the logged search);
  `export`: writing them out as CSV or JSON Lines and reading them back.
- `stats`: per-user transaction statistics over a period.
- `review`: the quarterly and ad-hoc controls and their sign-off.
"""
