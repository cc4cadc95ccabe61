"""The security officer's pages and API (issue 5): the audit log searched and exported,
transaction statistics with a chart, the quarterly control and its overdue banner, the
ad-hoc control of one user, and the chain's verification.

Reading needs the hub scope `audit:read`, controls `audit:review`, and both the policy's
`may_audit` for the institution the request reads (`policy.officer_access` picks the
officer's own when none is named): an officer reads only their institution's log, and
asking for another one reads "not found" (AUTH-2). Every reading is itself logged (LOG-4),
by `services.officer_views`. This module checks the shape of the input and nothing else.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlencode

from tornado import web

from labgate import clock
from labgate.audit.search import export_csv
from labgate.audit.types import TRANSACTION_TYPES, is_known
from labgate.errors import InvalidInput, LabgateError, NotFound
from labgate.names import CODE_MAX_LENGTH, CODE_PATTERN
from labgate.policy.calendar import add_months
from labgate.policy.officer_access import (
    audited_institution,
    may_read_log,
    reviewed_institution,
)
from labgate.policy.staff import may_audit
from labgate.services.officer_views import (
    EventFilters,
    draft_report,
    event_json,
    last_verification,
    list_reviews,
    per_user_totals,
    record_export,
    review_detail,
    review_status,
    run_verification,
    search_events,
    sign,
    stat_json,
    stats,
)
from labgate.web.base import ApiHandler, LabgateHandler, status_for
from labgate.web.inputs import CONTROL, MAX_ID, MAX_TEXT, number_in_address
from labgate.web.scopes import scope

MAX_NAME: Final = 128
PAGE: Final = 50
MAX_PAGE: Final = 500
MAX_CSV: Final = 100_000
OUTCOMES: Final = ("ok", "denied", "failed")
#: Times are accepted from 1970 (the log's epoch) to 2200.
EARLIEST: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST: Final = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
DONE: Final = {
    "signed": "The quarterly control was signed off.",
    "adhoc": "The ad-hoc control was signed off.",
    "verified": "The audit chain was verified; the result is below.",
}


# --- input -------------------------------------------------------------------------------


def time_value(text: str | None, field: str) -> dt.datetime | None:
    """An ISO 8601 date or time (UTC unless it says otherwise); blank means none."""
    if text is None or not text.strip():
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"'{field}' is not a date or time: write it as in 2026-11-01 or "
            "2026-11-01T13:30 (ISO 8601, UTC unless an offset is given).",
            reason="invalid-time",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if not EARLIEST <= value < LATEST:
        raise InvalidInput(f"'{field}' must lie between 1970 and 2200.", reason="invalid-time")
    return value.astimezone(dt.UTC)


def span(since: dt.datetime | None, until: dt.datetime | None) -> None:
    if since is not None and until is not None and until < since:
        raise InvalidInput(
            "The time span ends before it starts: give an 'until' after 'since'.",
            reason="inverted-period",
        )


def name_value(text: str | None, field: str) -> str | None:
    """A username, an object kind or an object's id: short ordinary text; blank is none."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_NAME or CONTROL.search(text):
        raise InvalidInput(
            f"'{field}' must be at most {MAX_NAME} characters of ordinary text.",
            reason="invalid-input",
        )
    return text.strip()


def number_value(text: str | None, field: str, low: int, high: int) -> int | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not low <= int(text) <= high:
        raise InvalidInput(
            f"'{field}' must be a whole number from {low} to {high}.", reason="invalid-number"
        )
    return int(text)


def institution_value(text: str | None) -> str | None:
    """An institution code asked for; a malformed one names no institution (404)."""
    if text is None or not text.strip():
        return None
    if len(text) > CODE_MAX_LENGTH or not CODE_PATTERN.match(text):
        raise NotFound(
            "No such institution: check the address, or ask whoever sent it.",
            reason="not-found",
        )
    return text


def event_filters(get: Callable[[str], str | None], types: list[str], csv: bool) -> EventFilters:
    """The search's filters from query arguments, checked; nothing is searched on error."""
    types = [t.strip() for t in types if t.strip()]
    unknown = [t[:60] for t in types if not is_known(t)]
    if unknown or len(types) > len(TRANSACTION_TYPES):
        raise InvalidInput(
            f"Unknown transaction type {', '.join(unknown)}. Choose from the list of "
            "transaction types.",
            reason="unknown-type",
        )
    outcome = name_value(get("outcome"), "outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidInput("'outcome' must be ok, denied or failed.", reason="invalid-outcome")
    since, until = time_value(get("since"), "since"), time_value(get("until"), "until")
    span(since, until)
    limit = number_value(get("limit"), "limit", 1, MAX_CSV if csv else MAX_PAGE)
    return EventFilters(
        actor=name_value(get("user"), "user"),
        types=tuple(dict.fromkeys(types)),
        since=since,
        until=until,
        object_kind=name_value(get("object_kind"), "object_kind"),
        object_id=name_value(get("object_id"), "object_id"),
        outcome=outcome,
        limit=limit or (MAX_CSV if csv else PAGE),
        after_seq=number_value(get("after"), "after", 1, MAX_ID),
    )


def period(
    since_text: str | None, until_text: str | None, default_since: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """A period [since, until) with defaults: until now, since `default_since`."""
    since = time_value(since_text, "since") or default_since
    until = time_value(until_text, "until") or clock.now()
    span(since, until)
    return since, until


def findings_value(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            "Write the findings of the control (what was checked and what was found).",
            reason="missing-findings",
        )
    if len(value) > MAX_TEXT or CONTROL.search(value) or not _encodable(value):
        raise InvalidInput(
            f"The findings must be at most {MAX_TEXT} characters of ordinary text.",
            reason="invalid-text",
        )
    return value.strip()


def _encodable(value: str) -> bool:
    """False for text JSON can carry but the database cannot store (a lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def quarter_ago() -> dt.datetime:
    now = clock.now()
    return dt.datetime.combine(add_months(now.date(), -3), now.timetz())


def month_ago() -> dt.datetime:
    return clock.now() - dt.timedelta(days=30)


# --- access ------------------------------------------------------------------------------


class OfficerHandler(LabgateHandler):
    """What the officer's pages and API share: which institution, and may they."""

    def asked_institution(self) -> str | None:
        return institution_value(self.get_argument("institution", None))

    def read_scope(self, asked: str | None = None) -> str | None:
        """The institution whose log is read (None: all); 404 when the officer may not."""
        inst = audited_institution(self.staff, asked or self.asked_institution())
        self.require("audit:read", lambda s: may_read_log(s, inst))
        return inst

    def review_scope(self, asked: str | None = None) -> str:
        """The institution whose control is built or signed; 404 when the officer may not."""
        inst = reviewed_institution(self.staff, asked or self.asked_institution())
        self.require("audit:review", lambda s: may_audit(s, inst))
        return inst

    def arg(self, name: str) -> str | None:
        """A query argument, or None when absent (the input functions decide what blank is)."""
        return self.get_argument(name, None)

    def read_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(session, *args)` in a read-only session (call it through `blocking`)."""
        with self.db.read_session() as s:
            return fn(s, *args)

    async def officer_page(self, template: str, title: str, **ns: Any) -> None:
        """Render an officer page with the overdue banner of the officer's institution."""
        inst = reviewed_institution(self.staff, None)
        status = None
        if may_audit(self.staff, inst).allowed:
            try:
                status = await self.blocking(self.read_db, review_status, inst)
            except LabgateError:
                status = None
        ns.setdefault("flash", DONE.get(self.get_argument("done", "")))
        self.render_page(
            f"labgate/officer/{template}",
            page_title=title,
            review=status,
            may_review=scope("audit:review") in self.staff.scopes,
            **ns,
        )

    async def page_error(self, error: LabgateError, render: Callable[[str], Any]) -> None:
        """A refused form or filter: the page again with the sentence, and its status."""
        if isinstance(error, NotFound):
            raise error
        self.set_status(status_for(error))
        await render(str(error))


def _query(args: dict[str, list[bytes]], drop: tuple[str, ...], **extra: str) -> str:
    pairs = [
        (k, v.decode("utf-8", "replace")) for k, vs in args.items() if k not in drop for v in vs
    ]
    pairs += list(extra.items())
    return urlencode(pairs)


# --- pages -------------------------------------------------------------------------------


class SearchPage(OfficerHandler):
    @web.authenticated
    async def get(self) -> None:
        inst = self.read_scope()
        ran = self.get_argument("run", "") == "1"
        events: list[Any] = []
        try:
            filters = event_filters(self.arg, self.get_arguments("type"), csv=False)
            if ran:
                found = await self.blocking(search_events, self.db, self.actor(), inst, filters)
                # The detail as its stored JSON text, shown escaped like any other text.
                events = [{**event_json(e), "detail_text": e.detail} for e in found]
        except LabgateError as error:
            await self.page_error(error, lambda e: self._show(inst, [], False, e))
            return
        await self._show(inst, events, ran, None, filters.limit)

    async def _show(
        self,
        inst: str | None,
        events: list[dict[str, Any]],
        ran: bool,
        error: str | None,
        limit: int = PAGE,
    ) -> None:
        args = self.request.query_arguments
        next_query = (
            _query(args, ("after",), after=str(events[-1]["seq"]))
            if ran and len(events) >= limit
            else ""
        )
        await self.officer_page(
            "search.html",
            "Audit log",
            error=error,
            institution=inst,
            events=events,
            ran=ran,
            types=sorted(TRANSACTION_TYPES),
            chosen_types=set(self.get_arguments("type")),
            outcomes=OUTCOMES,
            form={k: self.get_argument(k, "") for k in (
                "user", "since", "until", "object_kind", "object_id", "outcome")},
            next_query=next_query,
            csv_query=_query(args, ("after", "limit", "run", "format"), format="csv"),
        )  # fmt: skip


class StatsPage(OfficerHandler):
    @web.authenticated
    async def get(self) -> None:
        inst = self.read_scope()
        form = {k: self.get_argument(k, "") for k in ("since", "until", "user")}
        try:
            since, until = period(self.arg("since"), self.arg("until"), month_ago())
            user = name_value(self.arg("user"), "user")
            rows = await self.blocking(stats, self.db, self.actor(), inst, since, until, user)
        except LabgateError as error:
            await self.page_error(
                error, lambda e: self.officer_page(
                    "stats.html", "Transaction statistics", error=e, form=form, rows=[],
                    totals=[], institution=inst, since=None, until=None)
            )  # fmt: skip
            return
        await self.officer_page(
            "stats.html",
            "Transaction statistics",
            form=form,
            rows=stat_json(rows),
            totals=per_user_totals(rows),
            institution=inst,
            since=since,
            until=until,
        )


class ReviewsPage(OfficerHandler):
    @web.authenticated
    async def get(self) -> None:
        inst = self.read_scope()
        await self._show(inst, preview=self.get_argument("preview", "") == "1")

    async def _show(self, inst: str | None, preview: bool, error: str | None = None) -> None:
        institution = reviewed_institution(self.staff, inst)
        form = {k: self.get_argument(k, "") for k in ("since", "until", "findings")}
        report = None
        if preview and error is None:
            self.review_scope(institution)
            try:
                since, until = period(self.arg("since"), self.arg("until"), quarter_ago())
                report = await self.blocking(
                    draft_report, self.db, self.actor(), institution, since, until
                )
                form.update(since=since.isoformat(), until=until.isoformat())
            except LabgateError as e:
                if isinstance(e, NotFound):
                    raise
                self.set_status(status_for(e))
                error = str(e)
        reviews = await self.blocking(self.read_db, list_reviews, institution)
        await self.officer_page(
            "reviews.html", "Quarterly control", error=error, institution=institution,
            reviews=reviews, report=report, form=form,
            default_since=quarter_ago().date().isoformat(),
        )  # fmt: skip

    @web.authenticated
    async def post(self) -> None:
        inst = self.review_scope(institution_value(self.get_body_argument("institution", None)))
        try:
            since, until = period(
                self.get_body_argument("since", None),
                self.get_body_argument("until", None),
                quarter_ago(),
            )
            findings = findings_value(self.get_body_argument("findings", ""))
            await self.blocking(sign, self.db, self.actor(), inst, since, until, findings)
        except LabgateError as error:
            await self.page_error(error, lambda e: self._show(inst, False, e))
            return
        self.redirect(f"{self.prefix}audit/reviews?done=signed")


def review_number(text: str) -> int:
    """A control's number from the address; anything else is a control that does not exist."""
    return number_in_address(text, "control", reason="no-review")


async def shown_review(handler: OfficerHandler, number: str) -> dict[str, Any]:
    """The control, if the officer may read its institution's log; else "not found"."""
    review_id = review_number(number)
    review: dict[str, Any] | None = await handler.blocking(
        handler.read_db, review_detail, review_id
    )
    institution = review["institution"] if review else None
    handler.require("audit:read", lambda s: may_read_log(s, institution or ""))
    if review is None:
        raise NotFound(f"There is no control with the number {review_id}.", reason="no-review")
    return review


class ReviewPage(OfficerHandler):
    @web.authenticated
    async def get(self, number: str) -> None:
        review = await shown_review(self, number)
        await self.officer_page(
            "review.html", f"Control {review['id']}", r=review, report=review["report"]
        )


class AdhocPage(OfficerHandler):
    @web.authenticated
    async def get(self) -> None:
        inst = self.review_scope()
        await self._show(inst, self.arg("user"))

    async def _show(self, inst: str, user_text: str | None, error: str | None = None) -> None:
        form = {k: self.get_argument(k, "") for k in ("user", "since", "until", "findings")}
        report = None
        if error is None and user_text:
            try:
                user = name_value(user_text, "user")
                since, until = period(self.arg("since"), self.arg("until"), quarter_ago())
                report = await self.blocking(
                    draft_report, self.db, self.actor(), inst, since, until, user
                )
                form.update(since=since.isoformat(), until=until.isoformat())
            except LabgateError as e:
                self.set_status(status_for(e))
                error = str(e)
        await self.officer_page(
            "adhoc.html", "Ad-hoc control of one user", error=error, institution=inst,
            report=report, form=form,
        )  # fmt: skip

    @web.authenticated
    async def post(self) -> None:
        inst = self.review_scope(institution_value(self.get_body_argument("institution", None)))
        user = self.get_body_argument("user", "")
        try:
            subject = name_value(user, "user")
            if subject is None:
                raise InvalidInput("Name the user to control.", reason="missing-user")
            since, until = period(
                self.get_body_argument("since", None),
                self.get_body_argument("until", None),
                quarter_ago(),
            )
            findings = findings_value(self.get_body_argument("findings", ""))
            await self.blocking(sign, self.db, self.actor(), inst, since, until, findings, subject)
        except LabgateError as error:
            await self.page_error(error, lambda e: self._show(inst, None, e))
            return
        self.redirect(f"{self.prefix}audit/reviews?done=adhoc")


class VerificationPage(OfficerHandler):
    @web.authenticated
    async def get(self) -> None:
        self.read_scope()
        last = await self.blocking(self.read_db, last_verification)
        await self.officer_page("verification.html", "Audit chain verification", last=last)

    @web.authenticated
    async def post(self) -> None:
        self.read_scope()
        await self.blocking(run_verification, self.db, self.actor())
        self.redirect(f"{self.prefix}audit/verification?done=verified")


# --- API ---------------------------------------------------------------------------------


class OfficerApi(ApiHandler, OfficerHandler):
    """The officer's API handlers (token XSRF exemption: see LabgateHandler)."""

    def body_institution(self, body: dict[str, Any]) -> str | None:
        value = body.get("institution")
        if value is not None and not isinstance(value, str):
            raise InvalidInput("'institution' must be an institution code.", reason="invalid-input")
        return institution_value(value)


class EventsApi(OfficerApi):
    async def get(self) -> None:
        inst = self.read_scope()
        fmt = self.get_argument("format", "json")
        if fmt not in ("json", "csv"):
            raise InvalidInput("'format' must be json or csv.", reason="invalid-format")
        filters = event_filters(self.arg, self.get_arguments("type"), csv=fmt == "csv")
        found = await self.blocking(search_events, self.db, self.actor(), inst, filters)
        if fmt == "json":
            self.write_json([event_json(e) for e in found])
            return
        out = io.StringIO()
        count = export_csv(found, out)
        await self.blocking(record_export, self.db, self.actor(), inst, count)
        self.set_header("Content-Type", "text/csv; charset=UTF-8")
        self.set_header("Content-Disposition", 'attachment; filename="audit-events.csv"')
        self.finish(out.getvalue())


class StatsApi(OfficerApi):
    async def get(self) -> None:
        inst = self.read_scope()
        since, until = period(self.arg("since"), self.arg("until"), month_ago())
        user = name_value(self.arg("user"), "user")
        rows = await self.blocking(stats, self.db, self.actor(), inst, since, until, user)
        self.write_json({
            "institution": inst, "since": since, "until": until,
            "rows": stat_json(rows), "users": per_user_totals(rows),
        })  # fmt: skip


class ReviewsApi(OfficerApi):
    async def get(self) -> None:
        inst = reviewed_institution(self.staff, self.read_scope())
        status = await self.blocking(self.read_db, review_status, inst)
        reviews = await self.blocking(self.read_db, list_reviews, inst)
        self.write_json({**status, "reviews": reviews})

    async def post(self) -> None:
        body = self.json_body()
        inst = self.review_scope(self.body_institution(body))
        since, until = period(_opt_text(body, "since"), _opt_text(body, "until"), quarter_ago())
        findings = findings_value(body.get("findings"))
        review = await self.blocking(sign, self.db, self.actor(), inst, since, until, findings)
        self.write_json(review, 201)


class ReportApi(OfficerApi):
    async def get(self) -> None:
        inst = self.review_scope()
        since, until = period(self.arg("since"), self.arg("until"), quarter_ago())
        self.write_json(
            await self.blocking(draft_report, self.db, self.actor(), inst, since, until)
        )


class ReviewApi(OfficerApi):
    async def get(self, number: str) -> None:
        self.write_json(await shown_review(self, number))


class AdhocApi(OfficerApi):
    async def get(self, username: str) -> None:
        inst = self.review_scope()
        user = _username(username)
        since, until = period(self.arg("since"), self.arg("until"), quarter_ago())
        self.write_json(
            await self.blocking(draft_report, self.db, self.actor(), inst, since, until, user)
        )

    async def post(self, username: str) -> None:
        body = self.json_body()
        inst = self.review_scope(self.body_institution(body))
        user = _username(username)
        since, until = period(_opt_text(body, "since"), _opt_text(body, "until"), quarter_ago())
        findings = findings_value(body.get("findings"))
        review = await self.blocking(
            sign, self.db, self.actor(), inst, since, until, findings, user
        )
        self.write_json(review, 201)


class VerificationApi(OfficerApi):
    async def get(self) -> None:
        self.read_scope()
        last = await self.blocking(self.read_db, last_verification)
        self.write_json({"last": last})

    async def post(self) -> None:
        self.read_scope()
        self.write_json({"last": await self.blocking(run_verification, self.db, self.actor())})


def _opt_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(
            f"'{key}' must be a date or time as text, for example \"2026-11-01\".",
            reason="invalid-time",
        )
    return value


def _username(text: str) -> str:
    """A username from the address; a malformed one names nobody (404)."""
    if len(text) > MAX_NAME or CONTROL.search(text) or not text.strip():
        raise NotFound("There is no such user. Check the username.", reason="no-such-person")
    return text


ROUTES: list[tuple[str, type[web.RequestHandler]]] = [
    ("audit", SearchPage),
    ("audit/stats", StatsPage),
    ("audit/reviews", ReviewsPage),
    (r"audit/reviews/([^/]+)", ReviewPage),
    ("audit/adhoc", AdhocPage),
    ("audit/verification", VerificationPage),
    ("api/audit/events", EventsApi),
    ("api/audit/stats", StatsApi),
    ("api/audit/reviews", ReviewsApi),
    (r"api/audit/reviews/([^/]+)", ReviewApi),
    ("api/audit/report", ReportApi),
    (r"api/audit/adhoc/([^/]+)", AdhocApi),
    ("api/audit/verification", VerificationApi),
]
