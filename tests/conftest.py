"""Fixtures: an app on a fresh database per test, a client, one user per role, a login
helper and a local SMTP server that receives the platform's real e-mails.

SQLite (default): each test gets a fresh copy of a template database file. PostgreSQL
(DATABASE_URL set): the schema is created once per run and the tables a test wrote to are
emptied after it, its ids starting again at 1 (empty_postgres); under pytest-xdist each
worker has a database of its own (<name>_gw0, …).
"""

import os
import shutil
import socket
import threading
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from flask import g, request_started


def _per_worker_database() -> None:
    """Give each pytest-xdist worker its own PostgreSQL database, created on first use, so
    that workers never empty each other's tables. Runs before the app's config is read."""
    url = os.environ.get("DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url.startswith("postgresql") or not worker:
        return
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    os.environ["DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


_per_worker_database()

from app import create_app  # imported after the database URL is settled
from app.extensions import cache, db, limiter
from app.models import NeedStatus, OrgStatus, Role, UserStatus
from app.reference import OrgKind
from app.services import accounts
from tests import factories

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


@pytest.fixture(scope="session")
def _schema(tmp_path_factory):
    """Create the schema once per run. PostgreSQL: in the database under test. SQLite: in
    a template file that each test copies (much faster than creating 20 tables)."""
    if not POSTGRES:
        template = tmp_path_factory.mktemp("schema") / "template.db"
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{template}")
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        yield template
        return
    app = create_app("testing")
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            conn.execute(sa.text("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE"))
        db.create_all()
        yield None
        db.engine.dispose()


def empty_postgres() -> None:
    """Empty every table and start every id sequence again, as TRUNCATE … RESTART IDENTITY
    would, in a fraction of its time: TRUNCATE makes new files for every table and index,
    some 20 tables on each test, where most tests write to a handful. One round trip finds
    the tables holding rows and the sequences that handed out ids; a second deletes those
    rows (as the replication role, which skips the foreign-key checks and the audit log's
    append-only trigger; the tests' role must be allowed to set session_replication_role,
    as the superuser postgres is) and resets those sequences."""
    tables = [t.name for t in db.metadata.sorted_tables]
    probe = " UNION ALL ".join(f"(SELECT '{name}' FROM \"{name}\" LIMIT 1)" for name in tables)
    probe += (" UNION ALL SELECT '.' || schemaname || '.' || sequencename FROM pg_sequences"
              " WHERE schemaname = current_schema() AND last_value IS NOT NULL")
    with db.engine.begin() as conn:
        found = list(conn.scalars(sa.text(probe)))
        filled = set(found)
        sequences = [name[1:] for name in found if name.startswith(".")]
        statements = [f'DELETE FROM "{name}"' for name in reversed(tables) if name in filled]
        if statements:
            statements.insert(0, "SET LOCAL session_replication_role = replica")
        if sequences:
            statements.append("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in sequences))
        if statements:
            conn.exec_driver_sql("; ".join(statements))


def _fast_sqlite(dbapi_connection, connection_record):
    # Test databases are throw-away: no need to wait for the disk on every commit.
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def _empty_g(sender, **extra):
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture(scope="session")
def _shared_app(_schema, tmp_path_factory):
    """One app per test run (per worker): creating an app costs more than most tests.
    Each test gets it back with its configuration restored and an empty database."""
    overrides = {}
    if not POSTGRES:
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app("testing", **overrides)
    # Each request starts with an empty `g`, as in production: the test holds one app
    # context throughout, and Flask-Login, Babel and the unread count cache into `g`.
    request_started.connect(_empty_g, app)
    if not POSTGRES:
        with app.app_context():
            sa.event.listen(db.engine, "connect", _fast_sqlite)
    return app


@pytest.fixture
def app(_shared_app, _schema, tmp_path):
    app = _shared_app
    config = dict(app.config)
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    # The limiter is one object for every app of the process: tests that make an app of
    # their own with rate limits on must not leave them on (or counted) for the others.
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    with app.app_context():
        cache.clear()  # rendered edition parts of an earlier test's database
        if not POSTGRES:
            db.engine.dispose()
            shutil.copyfile(_schema, app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        yield app
        db.session.remove()
        if POSTGRES:
            empty_postgres()
        db.engine.dispose()
    app.config.clear()
    app.config.update(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client, user):
    """Log `user` in as the login form would: a live session row and its cookie."""
    token = accounts.start_session(user)
    db.session.commit()
    with client.session_transaction() as sess:
        sess["sid"] = token
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
    return client


@pytest.fixture
def login_as(client):
    def _login(user):
        return login(client, user)
    return _login


# ---- one user per role ---------------------------------------------------------------
@pytest.fixture
def gov_org(app):
    return factories.make_org(OrgKind.government, name="成都市发展和改革委员会")


@pytest.fixture
def admin(gov_org):
    return factories.make_user(gov_org, Role.admin, email="admin@test.cn", name="审核员")


@pytest.fixture
def owner_org(app):
    return factories.make_org(OrgKind.owner, name="成都城投建设有限公司")


@pytest.fixture
def owner(owner_org):
    return factories.make_user(owner_org, email="owner@test.cn", name="业主经办人")


@pytest.fixture
def other_owner(app):
    return factories.make_user(factories.make_org(OrgKind.owner, name="成都其他业主有限公司"),
                               email="other@test.cn")


@pytest.fixture
def bank_org(app):
    return factories.make_org(OrgKind.bank, name="成都银行股份有限公司", short_name="成都银行")


@pytest.fixture
def institution(bank_org):
    return factories.make_user(bank_org, email="bank@test.cn", name="客户经理")


@pytest.fixture
def bank_b(app):
    """A second bank, for what one institution must never learn of another's deals."""
    return factories.make_user(factories.make_org(OrgKind.bank, name="乙银行股份有限公司"), email="b@test.cn")


@pytest.fixture
def need(owner):
    """A listed need of the owner's, 5 亿元 with nothing secured yet: what institutions act on."""
    return factories.make_need(org=owner.org, status=NeedStatus.listed, amount=Decimal("50000.00"),
                               funds_secured=Decimal("0"))


@pytest.fixture
def expert(app):
    org = factories.make_org(OrgKind.securities, name="国金证券股份有限公司")
    return factories.make_user(org, Role.expert, email="expert@test.cn", name="融资专家")


@pytest.fixture
def unverified_owner(app):
    org = factories.make_org(OrgKind.owner, status=OrgStatus.pending)
    return factories.make_user(org, status=UserStatus.pending, email="new-owner@test.cn")


@pytest.fixture
def unverified_institution(app):
    org = factories.make_org(OrgKind.bank, status=OrgStatus.pending)
    return factories.make_user(org, status=UserStatus.pending, email="new-bank@test.cn")


# ---- a real SMTP server on localhost -----------------------------------------------------
class Mailbox:
    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def body(msg) -> str:
        return msg.get_body(("plain",)).get_content()


@pytest.fixture
def mailbox(app):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield box
    controller.stop()


# ---- SQL statement counting ----------------------------------------------------------------
class QueryCounter:
    def __init__(self):
        self.statements = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ...; counter.count is the number of SQL statements."""
    from contextlib import contextmanager

    @contextmanager
    def _count():
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)
    return _count
