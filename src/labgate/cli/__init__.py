"""The `labgate` command line: everything an admin or steward does without a browser."""
