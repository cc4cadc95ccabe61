"""Synthetic registers for demos, tests and benchmarks: realistic shapes, never real people.

Person numbers look like Danish CPR numbers (ddmmyy + four digits, a real calendar date,
the last digit odd for men and even for women) but are drawn at random, so any match with a
living person's number is chance. Everything is vectorised (numpy, pyarrow) and written
in row groups, so ten million rows take seconds, not minutes; the same seed gives the same
bytes' worth of values on every machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from labgate.errors import InvalidInput

#: Danish municipality codes (public administrative codes, not personal data).
MUNICIPALITIES = np.array(
    [101, 147, 151, 153, 155, 157, 159, 161, 163, 165, 167, 169, 173, 175, 183, 185, 187,
     190, 201, 210, 217, 219, 223, 230, 240, 250, 253, 259, 260, 265, 269, 270, 306, 316,
     320, 326, 329, 330, 336, 340, 350, 360, 370, 376, 390, 400, 410, 420, 430, 440, 450,
     461, 479, 480, 482, 492, 510, 530, 540, 550, 561, 563, 573, 575, 580, 607, 615, 621,
     630, 657, 661, 665, 671, 706, 707, 710, 727, 730, 740, 741, 746, 751, 756, 760, 766,
     773, 779, 787, 791, 810, 813, 820, 825, 840, 846, 849, 851, 860],
    dtype=np.int32,
)  # fmt: skip
#: Education levels, roughly the first digits of Statistics Denmark's HFAUDD groups.
EDUCATION_LEVELS = np.array([10, 20, 30, 35, 40, 50, 60, 65, 70, 80], dtype=np.int32)
EDUCATION_WEIGHTS = np.array([0.18, 0.05, 0.08, 0.30, 0.05, 0.07, 0.15, 0.02, 0.09, 0.01])
FIRST_BIRTH = np.datetime64("1920-01-01")
BIRTH_DAYS = int((np.datetime64("2020-01-01") - FIRST_BIRTH).astype(int))
CHUNK_PERSONS = 1_000_000
ROW_GROUP_ROWS = 500_000
WIDE_VARIABLES = 18


@dataclass(frozen=True)
class Cohort:
    """N synthetic persons: person number, birth date and sex (1 man, 2 woman)."""

    pnr: pa.StringArray
    birth: np.ndarray
    sex: np.ndarray

    def __len__(self) -> int:
        return len(self.pnr)


def cohort(persons: int, seed: int) -> Cohort:
    """`persons` distinct person numbers with valid birth dates, deterministic for `seed`."""
    if persons < 1:
        raise InvalidInput("Give at least one person.", reason="invalid-size")
    rng = np.random.default_rng([seed, 0])
    space = BIRTH_DAYS * 10_000
    codes = np.empty(0, dtype=np.int64)
    while len(codes) < persons:  # draw, drop repeats, top up: distinct without a huge shuffle
        extra = rng.integers(0, space, persons - len(codes) + 16, dtype=np.int64)
        codes = np.unique(np.concatenate([codes, extra]))
    codes = rng.permutation(codes)[:persons]
    day, serial = np.divmod(codes, 10_000)
    birth = FIRST_BIRTH + day.astype("timedelta64[D]")
    month_start = birth.astype("datetime64[M]")
    dd = (birth - month_start).astype(np.int64) + 1
    mm = month_start.astype(np.int64) % 12 + 1
    yy = (birth.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    number = dd * 100_000_000 + mm * 1_000_000 + yy * 10_000 + serial
    pnr = pc.utf8_lpad(pc.cast(pa.array(number), pa.string()), 10, "0")
    sex = np.where(serial % 2 == 1, 1, 2).astype(np.int8)
    return Cohort(pnr=pnr, birth=birth, sex=sex)


def _chunks(n: int) -> Iterator[slice]:
    for start in range(0, n, CHUNK_PERSONS):
        yield slice(start, min(start + CHUNK_PERSONS, n))


def _alive(people: Cohort, part: slice, year: int) -> np.ndarray:
    return people.birth[part].astype("datetime64[Y]").astype(np.int64) + 1970 <= year


def _year_rng(seed: int, register: int, year: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng([seed, register, year, chunk])


def population_batches(people: Cohort, years: Sequence[int], seed: int) -> Iterator[pa.Table]:
    """Population register: one row per person alive in a year (BEF-like)."""
    attrs = np.random.default_rng([seed, 1])
    kom = attrs.choice(MUNICIPALITIES, len(people))
    postcode = attrs.integers(100, 999, len(people)) * 10
    protected = attrs.random(len(people)) < 0.02
    for year in years:
        for i, part in enumerate(_chunks(len(people))):
            rng = _year_rng(seed, 1, year, i)
            moved = rng.random(part.stop - part.start) < 0.05
            k = np.where(moved, rng.choice(MUNICIPALITIES, len(moved)), kom[part])
            alive = _alive(people, part, year)
            yield pa.table(
                {
                    "pnr": people.pnr[part].filter(pa.array(alive)),
                    "year": pa.array(np.full(alive.sum(), year, dtype=np.int32)),
                    "birth_date": pa.array(people.birth[part][alive]),
                    "sex": pa.array(people.sex[part][alive]),
                    "kom": pa.array(k[alive]),
                    "postcode": pc.cast(pa.array(postcode[part][alive]), pa.string()),
                    "protected": pa.array(protected[part][alive]),
                }
            )


def income_batches(people: Cohort, years: Sequence[int], seed: int) -> Iterator[pa.Table]:
    """Income register: wages, transfers, taxes and disposable income per person-year."""
    for year in years:
        for i, part in enumerate(_chunks(len(people))):
            rng = _year_rng(seed, 2, year, i)
            alive = _alive(people, part, year)
            n = int(alive.sum())
            wage = np.round(rng.lognormal(12.5, 0.9, n) * (rng.random(n) < 0.75), 0)
            transfers = np.round(rng.exponential(40_000, n) * (rng.random(n) < 0.4), 0)
            tax = np.round((wage + transfers) * rng.uniform(0.3, 0.45, n), 0)
            yield pa.table(
                {
                    "pnr": people.pnr[part].filter(pa.array(alive)),
                    "year": pa.array(np.full(n, year, dtype=np.int32)),
                    "wage": pa.array(wage),
                    "transfers": pa.array(transfers),
                    "tax": pa.array(tax),
                    "disposable": pa.array(wage + transfers - tax),
                    "pension_paid": pa.array(rng.integers(0, 60_000, n)),
                }
            )


def education_batches(people: Cohort, years: Sequence[int], seed: int) -> Iterator[pa.Table]:
    """Education register: highest completed level per person-year (UDDA-like)."""
    level = np.random.default_rng([seed, 3]).choice(
        EDUCATION_LEVELS, len(people), p=EDUCATION_WEIGHTS
    )
    for year in years:
        for part in _chunks(len(people)):
            alive = _alive(people, part, year)
            yield pa.table(
                {
                    "pnr": people.pnr[part].filter(pa.array(alive)),
                    "year": pa.array(np.full(alive.sum(), year, dtype=np.int32)),
                    "level": pa.array(level[part][alive]),
                }
            )


def wide_batches(rows: int, years: Sequence[int], seed: int) -> Iterator[pa.Table]:
    """Exactly `rows` rows: person number, year and 18 numeric variables (the benchmark)."""
    persons = max(1, -(-rows // len(years)))
    people = cohort(persons, seed)
    left = rows
    for year in years:
        for i, part in enumerate(_chunks(persons)):
            n = min(part.stop - part.start, left)
            if n <= 0:
                return
            left -= n
            rng = _year_rng(seed, 4, year, i)
            columns: dict[str, pa.Array] = {
                "pnr": people.pnr[part.start : part.start + n],
                "year": pa.array(np.full(n, year, dtype=np.int32)),
            }
            for v in range(1, WIDE_VARIABLES + 1):
                if v % 3 == 0:
                    values = rng.integers(0, 1000, n).astype(np.int32)
                elif v % 3 == 1:
                    values = np.round(rng.normal(1000.0 * v, 250.0, n), 2)
                else:
                    values = rng.integers(0, 10**7, n)
                columns[f"v{v:02d}"] = pa.array(values)
            yield pa.table(columns)


REGISTERS: dict[str, Callable[[Cohort, Sequence[int], int], Iterator[pa.Table]]] = {
    "population": population_batches,
    "income": income_batches,
    "education": education_batches,
}


def write_parquet(batches: Iterator[pa.Table], path: Path) -> int:
    """Stream tables into one Parquet file with row groups; return the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for table in batches:
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return rows


def write_register(kind: str, path: Path, *, persons: int, years: Sequence[int], seed: int) -> int:
    """Write the synthetic register `kind` (population, income, education or wide)."""
    if not years:
        raise InvalidInput("Give at least one year.", reason="invalid-years")
    if kind == "wide":
        return write_parquet(wide_batches(persons, years, seed), path)
    if kind not in REGISTERS:
        raise InvalidInput(
            f"'{kind}' is not a synthetic register. Use one of: {', '.join([*REGISTERS, 'wide'])}.",
            reason="invalid-register-kind",
        )
    return write_parquet(REGISTERS[kind](cohort(persons, seed), years, seed), path)
