"""The Alembic migrations build the schema the models describe, and can be undone.

Runs on the database under test: a temporary SQLite file by default; with DATABASE_URL
pointing at PostgreSQL, a scratch database `<name>_mig` on the same server, dropped after.
"""

import logging
import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db

DATABASE_URL = os.environ.get("DATABASE_URL", "")


@pytest.fixture
def _keep_logging():
    """Alembic's env.py calls logging.config.fileConfig, which disables the loggers it does
    not name; put them back so later tests still see the application's log records."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    disabled = {name: lg.disabled for name, lg in logging.root.manager.loggerDict.items()
                if isinstance(lg, logging.Logger)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, lg in logging.root.manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            lg.disabled = disabled.get(name, False)


@pytest.fixture
def scratch_url(tmp_path):
    if not DATABASE_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    import psycopg

    url = sa.engine.make_url(DATABASE_URL)
    name = f"{url.database}_mig"
    admin_dsn = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def _pending_changes() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_matches_the_models(scratch_url, _keep_logging):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        try:
            upgrade()
            assert _tables() == set(db.metadata.tables)

            downgrade(revision="base")
            assert _tables() == set()

            upgrade()
            assert _tables() == set(db.metadata.tables)
            assert _pending_changes() == [], "models changed without a migration"
        finally:
            db.session.remove()
            db.engine.dispose()


def test_migrated_audit_log_refuses_updates_and_deletes(scratch_url, _keep_logging):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        try:
            upgrade()
            with db.engine.begin() as conn:
                conn.execute(sa.text(
                    "INSERT INTO audit_log (at, action, object_type) "
                    "VALUES (CURRENT_TIMESTAMP, 'test.action', 'system')"))
            for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
                with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                    with db.engine.begin() as conn:
                        conn.execute(sa.text(statement))
            with db.engine.connect() as conn:
                assert conn.execute(sa.text("SELECT action FROM audit_log")).scalars().all() == [
                    "test.action"]
        finally:
            db.session.remove()
            db.engine.dispose()
