"""Sites: the CSV import (every bad row reported, all or nothing, idempotent) and
finding a site by a name typed without accents or by a shared location."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import func, select

from bot.cli import main
from storage.models import Site
from storage.sites import (
    distance_km,
    import_sites,
    list_sites,
    nearest_sites,
    parse_sites_csv,
    sample_sites_csv,
    search_sites,
)
from storage.textnorm import fold

HEADER = "code,name,kind,commune,old_district,province,status,note"
HEADER_LATLON = HEADER + ",lat,lon"


def parsed(text: str) -> list[dict]:
    rows, errors = parse_sites_csv(text)
    assert errors == []
    return rows


async def load(database, text: str) -> tuple[int, int, int]:
    async with database.session() as session:
        counts = await import_sites(session, parsed(text))
        await session.commit()
    return counts


async def count_sites(database) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(Site))).one()


# --- parsing (no database) -------------------------------------------------------


def test_the_sample_list_parses_cleanly():
    rows = parsed(sample_sites_csv())
    assert len(rows) == 27
    coop = next(row for row in rows if row["code"] == "ST-COOP-QNG")
    assert coop["name"] == "Siêu thị Co.opmart Quảng Ngãi"
    assert coop["search_name"] == "sieu thi co opmart quang ngai"
    assert coop["kind"] == "supermarket"
    assert coop["commune"] == "Phường Cẩm Thành"
    assert coop["old_district"] == "TP Quảng Ngãi"
    # The sample has no lat,lon columns: rows carry no coordinates to overwrite.
    assert "latitude" not in coop
    assert {row["status"] for row in rows} == {"operating", "planned"}


def test_every_bad_row_is_reported_with_its_physical_line():
    text = "\n".join(
        [
            HEADER_LATLON,  # 1
            "A,Site A,supermarket,,,,operating,,15.1,108.8",  # 2
            "B,Site B,mall,,,,operating,,,",  # 3
            "",  # 4 blank: skipped, still counted
            'C,Site C,supermarket,,,,operating,"a note',  # 5
            'over two lines",,',  # 6
            "D,,supermarket,,,,operating,,,",  # 7
            "E,Site E,supermarket,,,,open,,,",  # 8
            "F,Site F,supermarket,,,,,,abc,108",  # 9
            "G,Site G,supermarket,,,,,,15,200",  # 10
            "H,Site H,supermarket,,,,,,15,",  # 11
            ",Site I,supermarket,,,,,,,",  # 12
            "A,Site A again,supermarket,,,,,,,",  # 13
            "J,Site J,supermarket,,,,",  # 14
        ]
    )
    rows, errors = parse_sites_csv(text)
    assert errors == [
        "line 3: unknown kind 'mall' (expected supermarket, trade_centre, industrial_cluster)",
        "line 7: empty name",
        "line 8: unknown status 'open' (expected operating, planned, closed)",
        "line 9: bad coordinate lat='abc' (expected -90..90)",
        "line 10: bad coordinate lon='200' (expected -180..180)",
        "line 11: give both lat and lon, or neither",
        "line 12: empty code",
        "line 13: duplicate code 'A' (first on line 2)",
        "line 14: expected 10 fields, got 7",
    ]
    assert [row["code"] for row in rows] == ["A", "C"]
    assert rows[0]["latitude"] == 15.1 and rows[0]["longitude"] == 108.8
    assert rows[1]["note"] == "a note\nover two lines"
    assert rows[1]["latitude"] is None and rows[1]["status"] == "operating"


def test_a_byte_order_mark_and_windows_line_ends_are_fine():
    text = "\ufeff" + HEADER + "\r\nX,Chợ X,trade_centre,,,,planned,\r\n"
    rows = parsed(text)
    assert rows == [
        {
            "code": "X",
            "name": "Chợ X",
            "search_name": "cho x",
            "kind": "trade_centre",
            "commune": "",
            "old_district": "",
            "province": "",
            "status": "planned",
            "note": "",
        }
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("code,name,kind,commune,province,status,note", "missing column(s) old_district"),
        (HEADER + ",latitude", "unknown column(s) 'latitude'"),
        (HEADER + ",lat", "lat and lon columns go together"),
        ("", "missing column(s)"),
    ],
)
def test_a_bad_header_is_reported_on_line_1(header, expected):
    rows, errors = parse_sites_csv(header + "\nA,B,supermarket,,,,,\n")
    assert rows == []
    assert errors and all(error.startswith("line 1: ") for error in errors)
    assert any(expected in error for error in errors), errors


def test_an_empty_file_is_an_error():
    assert parse_sites_csv("") == ([], ["line 1: the file is empty (expected a header row)"])


def test_distance_is_haversine_in_kilometres():
    assert distance_km(15.0, 108.0, 15.0, 108.0) == 0
    assert distance_km(15.0, 108.0, 16.0, 108.0) == pytest.approx(111.2, abs=0.1)
    assert distance_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.2, abs=0.1)
    # Longitude degrees shrink away from the equator: cos(60°) = 0.5.
    assert distance_km(60.0, 10.0, 60.0, 11.0) == pytest.approx(55.6, abs=0.1)
    assert distance_km(15.12, 108.80, 14.35, 108.00) == distance_km(14.35, 108.00, 15.12, 108.80)


# --- importing (SQLite and PostgreSQL) ----------------------------------------------


async def test_importing_the_sample_twice_changes_nothing_the_second_time(db):
    assert await load(db, sample_sites_csv()) == (27, 0, 0)
    assert await load(db, sample_sites_csv()) == (0, 0, 27)
    assert await count_sites(db) == 27
    async with db.session() as session:
        sites = await list_sites(session)
    assert all(site.search_name == fold(site.name) for site in sites)


async def test_a_changed_row_is_updated_in_place(db):
    await load(db, sample_sites_csv())
    async with db.session() as session:
        before = (await session.exec(select(Site).where(Site.code == "ST-WIN-QNG"))).one()
    changed = HEADER + "\nST-WIN-QNG,Siêu thị WinMart Cẩm Thành,supermarket,Phường Cẩm Thành,"
    changed += "TP Quảng Ngãi,Quảng Ngãi,closed,moved\nNEW-1,Chợ Mới,trade_centre,,,,,\n"
    assert await load(db, changed) == (1, 1, 0)
    async with db.session() as session:
        after = (await session.exec(select(Site).where(Site.code == "ST-WIN-QNG"))).one()
    assert after.id == before.id
    assert (after.name, after.status, after.note) == (
        "Siêu thị WinMart Cẩm Thành",
        "closed",
        "moved",
    )
    assert after.search_name == "sieu thi winmart cam thanh"
    assert await count_sites(db) == 28


async def test_coordinates_are_kept_by_a_file_without_them_and_cleared_by_empty_ones(db):
    with_coordinates = HEADER_LATLON + "\nA,Site A,supermarket,,,,,,15.12,108.8\n"
    assert await load(db, with_coordinates) == (1, 0, 0)
    assert await load(db, with_coordinates) == (0, 0, 1)
    assert await load(db, HEADER + "\nA,Site A,supermarket,,,,,\n") == (0, 0, 1)
    async with db.session() as session:
        site = (await session.exec(select(Site))).one()
        assert (site.latitude, site.longitude) == (15.12, 108.8)
    assert await load(db, HEADER_LATLON + "\nA,Site A,supermarket,,,,,,,\n") == (0, 1, 0)
    async with db.session() as session:
        site = (await session.exec(select(Site))).one()
        assert (site.latitude, site.longitude) == (None, None)


async def test_list_sites_orders_by_kind_then_name_and_filters_by_kind(db):
    await load(db, sample_sites_csv())
    async with db.session() as session:
        everything = await list_sites(session)
        supermarkets = await list_sites(session, kind="supermarket")
    kinds = [site.kind for site in everything]
    assert kinds == sorted(kinds)
    assert {site.code for site in supermarkets} == {
        "ST-COOP-QNG",
        "ST-COOP-DPH",
        "ST-WIN-QNG",
        "ST-COOP-KTM",
    }
    names = [site.name for site in supermarkets]
    assert names == sorted(names)


# --- the command line: all or nothing ---------------------------------------------


@pytest.fixture
def cli_environment(monkeypatch, tmp_path):
    for name in ("FIELDBOT_CONFIG", "FIELDBOT_TELEGRAM_TOKEN", "FIELDBOT_ZALO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield monkeypatch
    root.handlers[:], level = saved
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.NOTSET)


async def test_three_broken_rows_are_all_reported_and_nothing_is_written(
    database_target, cli_environment, tmp_path, capsys
):
    cli_environment.setenv("FIELDBOT_DATABASE_URL", database_target.url)
    # An update of an existing site and a new one travel with the three broken rows.
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "\n".join(
            [
                HEADER_LATLON,
                "ST-COOP-QNG,Co.opmart renamed,supermarket,,,,operating,,15.12,108.8",
                "NEW-1,Chợ mới,trade_centre,,,,planned,,,",
                "NEW-2,Siêu thị lạ,mall,,,,operating,,,",
                "NEW-3,,supermarket,,,,operating,,,",
                "NEW-4,Cụm lạ,industrial_cluster,,,,operating,,abc,108.5",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    assert await asyncio.to_thread(main, ["sites", "import", "--sample"]) == 0
    capsys.readouterr()

    code = await asyncio.to_thread(main, ["sites", "import", str(broken)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert f"{broken}: line 4: unknown kind 'mall'" in err
    assert f"{broken}: line 5: empty name" in err
    assert f"{broken}: line 6: bad coordinate lat='abc'" in err
    assert "nothing imported (3 problem(s)" in err
    assert len(err.splitlines()) == 4

    database = database_target.connect()
    try:
        assert await count_sites(database) == 27
        async with database.session() as session:
            coop = (await session.exec(select(Site).where(Site.code == "ST-COOP-QNG"))).one()
        assert coop.name == "Siêu thị Co.opmart Quảng Ngãi"
        assert coop.latitude is None
    finally:
        await database.dispose()


# --- searching ------------------------------------------------------------------


async def found(database, query: str, kinds=None, limit: int = 8) -> list[str]:
    async with database.session() as session:
        return [site.code for site in await search_sites(session, query, kinds, limit)]


@pytest.fixture
async def sample_db(db):
    await load(db, sample_sites_csv())
    return db


@pytest.mark.parametrize(
    "query",
    [
        "co op quang ngai",
        "Co.opmart Quảng Ngãi",
        "COOPMART QUANG NGAI",
        "coop quang ngai",
        "coopmart quảng",
        "sieu thi co opmart quang ngai",
    ],
)
async def test_accents_case_and_spacing_do_not_matter(sample_db, query):
    assert (await found(sample_db, query))[0] == "ST-COOP-QNG"


async def test_coopmart_finds_every_coopmart(sample_db):
    assert sorted(await found(sample_db, "coopmart")) == [
        "ST-COOP-DPH",
        "ST-COOP-KTM",
        "ST-COOP-QNG",
    ]
    assert sorted(await found(sample_db, "co op")) == ["ST-COOP-DPH", "ST-COOP-KTM", "ST-COOP-QNG"]


async def test_every_word_must_match(sample_db):
    assert await found(sample_db, "coopmart hanoi") == []
    assert await found(sample_db, "duc pho co op") == ["ST-COOP-DPH"]
    assert await found(sample_db, "   ...  ") == []


async def test_kinds_limit_the_search(sample_db):
    everything = await found(sample_db, "quang ngai", limit=50)
    assert "ST-COOP-QNG" in everything and "TTTM-VINCOM-QNG" in everything
    assert await found(sample_db, "quang ngai", ["trade_centre"]) == [
        "TTTM-GO-QNG",
        "TTTM-VINCOM-QNG",
    ]
    assert await found(sample_db, "vincom", ["supermarket"]) == []
    assert len(await found(sample_db, "cum cong nghiep", ["industrial_cluster"], limit=3)) == 3


async def test_closed_sites_are_not_found(sample_db):
    assert await found(sample_db, "winmart") == ["ST-WIN-QNG"]
    async with sample_db.session() as session:
        site = (await session.exec(select(Site).where(Site.code == "ST-WIN-QNG"))).one()
        site.status = "closed"
        session.add(site)
        await session.commit()
    assert await found(sample_db, "winmart") == []
    # Planned sites stay findable.
    assert await found(sample_db, "my trang") == ["CCN-MYTRANG"]


async def test_names_starting_with_the_query_come_first_then_alphabetical(db):
    await load(
        db,
        HEADER
        + "\nS1,Siêu thị Quảng Ngãi Xanh,supermarket,,,,,"
        + "\nS2,Quảng Ngãi Mart,supermarket,,,,,"
        + "\nS3,Siêu thị Ngãi Quảng,supermarket,,,,,"
        + "\nS4,Quảng Ngãi Bách hóa,supermarket,,,,,\n",
    )
    # Starts with the query (alphabetical), then the phrase elsewhere, then words scattered.
    assert await found(db, "quang ngai") == ["S4", "S2", "S1", "S3"]


# --- nearest ----------------------------------------------------------------------


async def test_nearest_sites_are_ordered_by_distance(db):
    await load(
        db,
        HEADER_LATLON
        + "\nNEAR,Gần,supermarket,,,,operating,,15.121,108.801"
        + "\nMID,Vừa,trade_centre,,,,planned,,15.20,108.80"
        + "\nFAR,Xa,supermarket,,,,operating,,14.35,108.00"
        + "\nSHUT,Đóng cửa,supermarket,,,,closed,,15.1201,108.8001"
        + "\nNOWHERE,Không tọa độ,supermarket,,,,operating,,,"
        + "\nCCN,Cụm,industrial_cluster,,,,operating,,15.13,108.81\n",
    )
    async with db.session() as session:
        everything = await nearest_sites(session, 15.12, 108.80, None, limit=10)
        shops = await nearest_sites(session, 15.12, 108.80, ["supermarket"])
        two = await nearest_sites(session, 15.12, 108.80, [], limit=2)
    assert [site.code for site, _km in everything] == ["NEAR", "CCN", "MID", "FAR"]
    distances = [km for _site, km in everything]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(0.15, abs=0.02)
    assert distances[2] == pytest.approx(8.9, abs=0.1)
    assert [site.code for site, _km in shops] == ["NEAR", "FAR"]
    assert [site.code for site, _km in two] == ["NEAR", "CCN"]
