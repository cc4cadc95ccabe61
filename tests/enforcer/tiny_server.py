"""A stand-in workspace for the test hub: answers 200 at the URL the hub gives it.

The enforcer only starts and stops servers through the hub, so a real JupyterLab would
add seconds per test and prove nothing more; the hub's start, stop and `started` time
are real.
"""

from __future__ import annotations

import os
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"workspace\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    url = urllib.parse.urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
    ThreadingHTTPServer((url.hostname or "127.0.0.1", url.port or 80), Handler).serve_forever()
