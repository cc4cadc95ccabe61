"""The tamper-evident audit log (LOG-1..LOG-6).

- `types`: the one vocabulary of transaction types.
- `chain`: the canonical encoding and hash that chain events together.
- `log`: appending events inside the caller's transaction.
- `verify`: proving the chain intact or naming the first broken event.
- `search`, `export`: finding events and writing them out (CSV, JSON lines).
- `stats`: per-user transaction statistics over a period.
- `review`: the quarterly and ad-hoc controls and their sign-off.
"""
