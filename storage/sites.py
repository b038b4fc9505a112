"""Sites (supermarkets, trade centres, industrial clusters): the CSV import and
the queries that find one by a typed name or by a shared location."""

from __future__ import annotations

import csv
import io
import math
from importlib import resources
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SITE_KINDS, SITE_STATUSES, Site
from storage.textnorm import fold

REQUIRED_COLUMNS = ("code", "name", "kind", "commune", "old_district", "province", "status", "note")
OPTIONAL_COLUMNS = ("lat", "lon")

# CSV column -> (Site field, longest value the table takes).
_TEXT_FIELDS = {
    "code": ("code", 64),
    "name": ("name", 300),
    "commune": ("commune", 200),
    "old_district": ("old_district", 200),
    "province": ("province", 200),
    "note": ("note", 500),
}
# What an import compares to decide "unchanged"; coordinates only when the file has them.
_COMPARED = (
    "name",
    "search_name",
    "kind",
    "commune",
    "old_district",
    "province",
    "status",
    "note",
)

EARTH_RADIUS_KM = 6371.0088
# Bound parameters per query stay far below SQLite's and asyncpg's limits.
_CODES_PER_QUERY = 500


def parse_sites_csv(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Reads a sites CSV; returns (rows, errors) with every bad row in errors.

    Rows are dicts keyed by Site field names (code, name, search_name, kind, commune,
    old_district, province, status, note, and latitude/longitude only when the file
    has lat,lon columns). Errors read "line N: reason", N being the physical line
    (the header is line 1). An empty status means "operating".
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], ["line 1: the file is empty (expected a header row)"]
    except csv.Error as error:
        return [], [f"line 1: not valid CSV ({error})"]
    columns = [name.strip().lower() for name in header]
    header_errors = _check_header(columns)
    if header_errors:
        return [], header_errors

    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    first_line_of: dict[str, int] = {}
    line_end = reader.line_num
    while True:
        # A quoted field may span lines: a row starts on the line after the last one.
        line = line_end + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(f"line {line}: not valid CSV ({error})")
            break
        line_end = reader.line_num
        if not any(value.strip() for value in values):
            continue  # blank line
        if len(values) != len(columns):
            errors.append(f"line {line}: expected {len(columns)} fields, got {len(values)}")
            continue
        row, problems = _parse_row(dict(zip(columns, values, strict=True)))
        code = row.get("code")
        if code:
            if code in first_line_of:
                problems.append(f"duplicate code {code!r} (first on line {first_line_of[code]})")
            else:
                first_line_of[code] = line
        if problems:
            errors.extend(f"line {line}: {problem}" for problem in problems)
        else:
            rows.append(row)
    return rows, errors


def _check_header(columns: list[str]) -> list[str]:
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    unknown = [n for n in columns if n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        allowed = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))} (allowed: {allowed})")
    repeated = sorted({n for n in columns if columns.count(n) > 1})
    if repeated:
        problems.append(f"column(s) given twice: {', '.join(repeated)}")
    if ("lat" in columns) != ("lon" in columns):
        problems.append("lat and lon columns go together: give both or neither")
    return [f"line 1: {problem}" for problem in problems]


def _parse_row(raw: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """One data row -> (Site fields, problems); problems read like "empty name"."""
    problems: list[str] = []
    row: dict[str, Any] = {}
    for column, (field, longest) in _TEXT_FIELDS.items():
        value = raw[column].strip()
        if len(value) > longest:
            problems.append(f"{column} longer than {longest} characters")
        row[field] = value
    if not row["code"]:
        problems.append("empty code")
    if not row["name"]:
        problems.append("empty name")
    row["search_name"] = fold(row["name"])

    kind = raw["kind"].strip()
    if kind not in SITE_KINDS:
        problems.append(
            f"unknown kind {kind!r} (expected {', '.join(SITE_KINDS)})"
            if kind
            else f"empty kind (expected {', '.join(SITE_KINDS)})"
        )
    row["kind"] = kind

    status = raw["status"].strip() or "operating"
    if status not in SITE_STATUSES:
        problems.append(f"unknown status {status!r} (expected {', '.join(SITE_STATUSES)})")
    row["status"] = status

    if "lat" in raw:
        latitude, longitude, coordinate_problems = _coordinates(raw["lat"], raw["lon"])
        problems.extend(coordinate_problems)
        row["latitude"], row["longitude"] = latitude, longitude
    return row, problems


def _coordinates(lat: str, lon: str) -> tuple[float | None, float | None, list[str]]:
    lat, lon = lat.strip(), lon.strip()
    if not lat and not lon:
        return None, None, []
    if not lat or not lon:
        return None, None, ["give both lat and lon, or neither"]
    problems = []
    values = []
    for name, text, bound in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not -bound <= value <= bound:
            problems.append(f"bad coordinate {name}={text!r} (expected -{bound:g}..{bound:g})")
        values.append(value)
    if problems:
        return None, None, problems
    return values[0], values[1], []


async def import_sites(session: AsyncSession, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Upserts rows from parse_sites_csv by code; returns (created, updated, unchanged).

    Flushes, does not commit: the caller decides the transaction. Coordinates are
    left alone when a row has no latitude/longitude keys (a file without lat,lon).
    """
    codes = [row["code"] for row in rows]
    existing: dict[str, Site] = {}
    for start in range(0, len(codes), _CODES_PER_QUERY):
        chunk = codes[start : start + _CODES_PER_QUERY]
        for site in (await session.exec(select(Site).where(col(Site.code).in_(chunk)))).all():
            existing[site.code] = site
    created = updated = unchanged = 0
    for row in rows:
        values = dict(row)
        values["search_name"] = fold(values["name"])
        site = existing.get(values["code"])
        if site is None:
            session.add(Site(**values))
            created += 1
            continue
        compared = _COMPARED + (("latitude", "longitude") if "latitude" in values else ())
        if all(getattr(site, field) == values[field] for field in compared):
            unchanged += 1
            continue
        for field in compared:
            setattr(site, field, values[field])
        session.add(site)
        updated += 1
    await session.flush()
    return created, updated, unchanged


async def list_sites(session: AsyncSession, kind: str | None = None) -> list[Site]:
    """Every site (closed ones too), ordered by kind then name."""
    statement = select(Site).order_by(Site.kind, Site.name, Site.code)
    if kind is not None:
        statement = statement.where(Site.kind == kind)
    return list((await session.exec(statement)).all())


# Abbreviations people type for the words in site names (folded).
ABBREVIATIONS = {
    "ccn": "cum cong nghiep",
    "kcn": "khu cong nghiep",
    "st": "sieu thi",
    "tttm": "trung tam thuong mai",
    "tt": "trung tam",
    "tp": "thanh pho",
    "tx": "thi xa",
}


async def search_sites(
    session: AsyncSession, query: str, kinds: list[str] | None, limit: int = 8
) -> list[Site]:
    """The first ``limit`` sites a search finds (see search_sites_page)."""
    found, _total = await search_sites_page(session, query, kinds, 0, limit)
    return found


async def search_sites_page(
    session: AsyncSession, query: str, kinds: list[str] | None, page: int = 0, per_page: int = 8
) -> tuple[list[Site], int]:
    """One page of the sites not closed that match every word typed, and how many
    match in all.

    A word matches the name, the commune or the old district (so "duc pho" finds
    the sites of the former Đức Phổ district), accents and case aside; "ccn", "st",
    "tttm" stand for "cụm công nghiệp", "siêu thị", "trung tâm thương mại". In the
    name a word matches anywhere inside, or glued across the name's words from the
    start of one of them, so "co op quang ngai", "coop quang ngai" and "coopmart"
    all find "Siêu thị Co.opmart Quảng Ngãi" while "op" does not match "... Phổ
    Phong" across a space. Empty or None kinds means every kind. Names that start
    with the query come first, then names holding it as one phrase, then other name
    matches, then matches by place; alphabetical within each.

    Sites are a province's few hundred, so the place match is done in Python on the
    sites of the kinds asked for.
    """
    folded = fold(query)
    words = folded.split()
    if not words:
        return [], 0
    terms = [ABBREVIATIONS.get(word, word) for word in words]
    statement = select(Site).where(Site.status != "closed")
    if kinds:
        statement = statement.where(col(Site.kind).in_(kinds))
    candidates = (await session.exec(statement)).all()
    compact = folded.replace(" ", "")
    expanded = " ".join(terms)

    def rank(site: Site) -> tuple[int, str, str] | None:
        name = site.search_name
        place = f"{fold(site.commune)} | {fold(site.old_district)}"
        if not all(
            _name_matches(name, term.split()) or term in place or term in name for term in terms
        ):
            return None
        glued = name.replace(" ", "")
        if name.startswith((folded, expanded)) or glued.startswith(compact):
            first = 0
        elif folded in name or expanded in name or _glued_from_a_word_start(name.split(), compact):
            first = 1
        elif all(_name_matches(name, term.split()) for term in terms):
            first = 2
        else:
            first = 3
        return first, name, site.code

    ranked = sorted((key, site) for site in candidates if (key := rank(site)) is not None)
    start = max(page, 0) * per_page
    return [site for _key, site in ranked[start : start + per_page]], len(ranked)


def _glued_from_a_word_start(name_words: list[str], text: str) -> bool:
    return any("".join(name_words[i:]).startswith(text) for i in range(len(name_words)))


def _name_matches(search_name: str, words: list[str]) -> bool:
    name_words = search_name.split()
    return all(word in search_name or _glued_from_a_word_start(name_words, word) for word in words)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


async def nearest_sites(
    session: AsyncSession,
    lat: float,
    lon: float,
    kinds: list[str] | None,
    limit: int = 5,
) -> list[tuple[Site, float]]:
    """The closest sites with coordinates, not closed, as (site, distance in km)."""
    statement = select(Site).where(
        Site.status != "closed",
        col(Site.latitude).is_not(None),
        col(Site.longitude).is_not(None),
    )
    if kinds:
        statement = statement.where(col(Site.kind).in_(kinds))
    sites = (await session.exec(statement)).all()
    measured = [(site, distance_km(lat, lon, site.latitude, site.longitude)) for site in sites]
    measured.sort(key=lambda pair: (pair[1], pair[0].code))
    return measured[:limit]


def sample_sites_csv() -> str:
    """The starter list of Quảng Ngãi sites shipped with the package."""
    return (
        resources.files("storage")
        .joinpath("sample_data/sites-quang-ngai.csv")
        .read_text(encoding="utf-8")
    )


async def settle_proposal(session: AsyncSession, proposal_id: int, status: str):
    """A proposed site ("Báo cơ sở mới") marked "added" or "declined"; None when it is
    unknown or was settled already (two admins at once: the second changes nothing)."""
    from sqlalchemy import update

    from storage.models import ProposedSite

    if status not in ("added", "declined"):
        raise ValueError(status)
    table = ProposedSite.__table__
    statement = (
        update(table)
        .where(table.c.id == proposal_id, table.c.status == "proposed")
        .values(status=status)
    )
    if (await session.exec(statement)).rowcount != 1:
        return None
    return await session.get(ProposedSite, proposal_id, populate_existing=True)
