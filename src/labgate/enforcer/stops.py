"""Stop every running workspace that may not keep running (WS-4, PROJ-8).

Order: decide, record, act. The `enforcer.stop` event is committed before the hub is
asked to stop the server, keyed by the server's identity and start time. Killed after
the record, the next pass finds the server still running, finds the key, and only repeats
the stop (idempotent on the hub); killed before it, the next pass decides again. So every
stop has exactly one event, and no event is lost to a crash between the act and its
record, which a record-after order could not promise: once the server is gone, nothing
would be left to remind a restarted enforcer that its event was never written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from labgate.db import Database
from labgate.enforcer.decide import WorkspaceFacts, may_keep_running
from labgate.enforcer.gather import enforcer_actor, workspace_facts
from labgate.enforcer.hubapi import HubClient, HubError, RunningServer
from labgate.enforcer.ledger import record_once
from labgate.policy.decision import Decision

log = logging.getLogger("labgate.enforcer")


@dataclass(frozen=True)
class StopOrder:
    server: RunningServer
    decision: Decision
    #: The project's owning institution, "" when the project is unknown.
    institution: str

    @property
    def key(self) -> str:
        """The server instance: the same user and name started again is another instance."""
        started = self.server.started.isoformat() if self.server.started else "unstarted"
        return f"{self.server.label}@{started}"


def plan_stops(db: Database, servers: Sequence[RunningServer], now: dt.datetime) -> list[StopOrder]:
    orders = []
    with db.read_session() as session:
        cache: dict[tuple[str, str], WorkspaceFacts | None] = {}
        for server in servers:
            pair = (server.user, server.name)
            if pair not in cache:
                cache[pair] = workspace_facts(session, server.user, server.name)
            ws = cache[pair]
            decision = may_keep_running(ws, server.name, server.started, now)
            if not decision.allowed:
                institution = ws.owner_institution_code if ws else ""
                orders.append(StopOrder(server, decision, institution))
    return orders


def carry_out(db: Database, hub: HubClient, order: StopOrder) -> bool:
    """Record (once) and stop; True if the event was recorded by this call."""
    with db.session() as session:
        recorded = record_once(
            session, enforcer_actor(order.institution), "enforcer.stop", "workspace",
            order.server.label, order.key,
            detail={
                "person": order.server.user,
                "project": order.server.name,
                "reason": order.decision.reason,
                "message": order.decision.message,
                "started": order.server.started.isoformat() if order.server.started else "",
            },
        )  # fmt: skip
    hub.stop(order.server)
    log.info("stopped %s: %s", order.server.label, order.decision.reason)
    return recorded


def stop_all(db: Database, hub: HubClient, orders: Sequence[StopOrder]) -> list[StopOrder]:
    """Carry out every order; one that fails is logged and retried at the next pass."""
    done = []
    for order in orders:
        try:
            carry_out(db, hub, order)
            done.append(order)
        except HubError as e:
            log.error("could not stop %s, will retry: %s", order.server.label, e)
    return done
