"""`python -m labgate.web`: the labgate service, started and proxied by the hub.

The hub passes JUPYTERHUB_SERVICE_URL (where to listen), JUPYTERHUB_SERVICE_PREFIX and
JUPYTERHUB_API_TOKEN; labgate's own settings come as LABGATE_DB and LABGATE_DATA_ROOT.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from urllib.parse import urlparse

from labgate.web.app import Config, make_app


async def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="[%(levelname)s %(asctime)s labgate.web] %(message)s"
    )
    env = os.environ
    url = urlparse(env["JUPYTERHUB_SERVICE_URL"])
    base = env.get("JUPYTERHUB_BASE_URL", "/")
    config = Config(
        db_url=env["LABGATE_DB"],
        data_root=env["LABGATE_DATA_ROOT"],
        prefix=env["JUPYTERHUB_SERVICE_PREFIX"],
        hub_prefix=base.rstrip("/") + "/hub/",
    )
    app = make_app(config)
    app.listen(url.port or 80, url.hostname or "127.0.0.1", xheaders=True)
    logging.getLogger("labgate.web").info("listening on %s", env["JUPYTERHUB_SERVICE_URL"])
    # The hub stops a service with SIGINT, then SIGTERM: either ends it at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
