"""Parameter types that turn bad input into a sentence saying how to write it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click


class IsoDate(click.ParamType[dt.date]):
    name = "YYYY-MM-DD"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"'{value}' is not a date. Write it as YYYY-MM-DD, for example 2026-03-01.",
                param,
                ctx,
            )


class IsoTime(click.ParamType[dt.datetime]):
    """A date (midnight UTC) or a full ISO 8601 time; naive times are taken as UTC."""

    name = "YYYY-MM-DD[THH:MM]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            parsed = dt.datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"'{value}' is not a date or time. Write it as YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM, for example 2026-03-01 or 2026-03-01T08:00.",
                param,
                ctx,
            )
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class YearList(click.ParamType[list[int]]):
    """Years as '2019,2020' or a range '2019-2023'."""

    name = "YEARS"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> list[int]:
        if isinstance(value, list):
            return value
        years: list[int] = []
        try:
            for part in str(value).split(","):
                part = part.strip()
                if "-" in part:
                    first, last = (int(x) for x in part.split("-", 1))
                    if first > last or last - first > 200:
                        raise ValueError
                    years.extend(range(first, last + 1))
                elif part:
                    years.append(int(part))
        except ValueError:
            self.fail(
                f"'{value}' is not a list of years. Write years as 2019,2020 or a range 2019-2023.",
                param,
                ctx,
            )
        return sorted(set(years))


ISO_DATE = IsoDate()
ISO_TIME = IsoTime()
YEARS = YearList()
