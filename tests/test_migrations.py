"""Migrations build exactly the models' schema, and every revision goes up, down
and up again, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.db import alembic_config, downgrade, upgrade
from storage.models import DEPARTMENTS


def revisions_base_to_head(url: str) -> list:
    script = ScriptDirectory.from_config(alembic_config(url))
    return list(reversed(list(script.walk_revisions("base", "heads"))))


async def table_names(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def current_revision(engine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def test_the_migrations_build_exactly_the_models(empty_database):
    database = empty_database.connect()
    try:
        await upgrade(database.engine)
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    SQLModel.metadata,
                )
            )
        assert differences == []
        assert await table_names(database.engine) == set(SQLModel.metadata.tables) | {
            "alembic_version"
        }
    finally:
        await database.dispose()


async def test_the_comparison_would_notice_a_missing_index(empty_database):
    """The models-match-migrations check is able to fail."""
    database = empty_database.connect()
    try:
        await upgrade(database.engine)
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP INDEX ix_site_kind"))
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
            )
        assert [(d[0], d[1].name) for d in differences] == [("add_index", "ix_site_kind")]
    finally:
        await database.dispose()


async def test_every_revision_goes_up_down_and_up_again(empty_database):
    database = empty_database.connect()
    engine = database.engine
    try:
        revisions = revisions_base_to_head(empty_database.url)
        assert revisions, "no migrations found"
        for revision in revisions:
            await upgrade(engine, revision.revision)
            assert await current_revision(engine) == revision.revision
            down = revision.down_revision
            target = down if isinstance(down, str) else "base" if down is None else "-1"
            await downgrade(engine, target)
            assert await current_revision(engine) == (down if isinstance(down, str) else None)
            await upgrade(engine, revision.revision)
            assert await current_revision(engine) == revision.revision
        assert (
            revisions[-1].revision
            == ScriptDirectory.from_config(alembic_config(empty_database.url)).get_current_head()
        )

        await downgrade(engine, "base")
        assert await table_names(engine) == {"alembic_version"}
        assert await current_revision(engine) is None
    finally:
        await database.dispose()


async def test_the_first_upgrade_seeds_the_six_departments(db):
    async with db.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT code, name_vi, name_en FROM department ORDER BY code")
            )
        ).all()
    assert len(rows) == 6
    assert sorted(tuple(row) for row in rows) == sorted(DEPARTMENTS)
    # Upgrading again seeds nothing twice.
    await upgrade(db.engine)
    async with db.engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM department"))).scalar_one()
    assert count == 6


async def test_0012_gives_the_checks_already_made_their_enterprise_key(empty_database):
    """K2 reads checklist_run.enterprise_key: the checks submitted before it existed
    get theirs from their enterprise answer (none: the empty name, as before)."""
    database = empty_database.connect()
    engine = database.engine
    try:
        await upgrade(engine, "0011")
        async with engine.begin() as connection:
            person = (
                await connection.execute(
                    text(
                        "INSERT INTO person (name, role, department_code, language, active, "
                        "created_at) VALUES ('A', 'inspector', 'QLTM', 'vi', true, "
                        "'2025-01-01') RETURNING id"
                    )
                )
            ).scalar()
            for run_id, checklist, name in (
                (1, "cleaner_production", "  CÔNG TY Đại Phú "),
                (2, "cleaner_production", None),
                (3, "supermarket", None),
            ):
                await connection.execute(
                    text(
                        "INSERT INTO checklist_run (id, person_id, checklist_id, "
                        "checklist_version, status, phase, editing, channel, started_at, "
                        "updated_at, submitted_at) VALUES (:id, :person, :checklist, 1, "
                        "'submitted', 'review', false, 'telegram', '2025-01-01', "
                        "'2025-01-01', '2025-01-01')"
                    ),
                    {"id": run_id, "person": person, "checklist": checklist},
                )
                if name is not None:
                    await connection.execute(
                        text(
                            "INSERT INTO answer (run_id, question_id, value_text, skipped, "
                            "answered_at) VALUES (:id, 'enterprise', :name, false, '2025-01-01')"
                        ),
                        {"id": run_id, "name": name},
                    )
        await upgrade(engine)
        async with engine.connect() as connection:
            keys = await connection.execute(
                text("SELECT id, enterprise_key FROM checklist_run ORDER BY id")
            )
            assert keys.all() == [(1, "công ty đại phú"), (2, ""), (3, None)]
        # Down again with the answers referring to the runs (a table rebuild would fail).
        await downgrade(engine, "0011")
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: [c["name"] for c in inspect(sync).get_columns("checklist_run")]
            )
        assert "enterprise_key" not in columns
        await upgrade(engine)
    finally:
        await database.dispose()
