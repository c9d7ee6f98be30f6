"""Background jobs: asked for in a transaction, run only once it has committed (dropped on
rollback), idempotent, retried, and recorded in the job table whichever backend runs them.

Without Redis the jobs run in-process right after the commit. With Redis, a real RQ worker
(`flask jobs worker --burst`, in a subprocess, on the same database) runs them from the
tests' own Redis database: 13 for the first (or only) pytest worker, 14 for the second.
"""

import os
import socket
import subprocess
import sys
from datetime import timedelta
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEntry,
    Edition,
    EditionFile,
    EditionStatus,
    Job,
    JobStatus,
    NeedStatus,
    Notification,
)
from app.models.base import utcnow
from app.services import jobs
from app.services.errors import InvalidTransition, NotFound
from app.services.notifications import notify

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {"project": "天府大道北延线", "org": "成都城投建设有限公司", "amount": "50000.00"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def job_rows(kind=None) -> list[Job]:
    db.session.expire_all()
    query = sa.select(Job).order_by(Job.id)
    if kind:
        query = query.where(Job.kind == kind)
    return list(db.session.scalars(query))


# ---- a real RQ worker -------------------------------------------------------------------------
@pytest.fixture
def rq_redis(app):
    """The app hands its jobs to RQ on this test run's own Redis database (emptied before
    and after); retries follow at once so that one burst of the worker sees them all."""
    from redis import Redis

    number = 14 if os.environ.get("PYTEST_XDIST_WORKER") == "gw1" else 13
    url = f"redis://127.0.0.1:6379/{number}"
    client = Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except Exception as exc:  # redis' ConnectionError is not an OSError
        pytest.skip(f"no Redis at {url}: {exc}")
    client.flushdb()
    app.config.update(JOB_REDIS_URL=url, JOB_RETRY_INTERVALS=(0, 0, 0))
    yield url
    client.flushdb()


@pytest.fixture
def run_worker(app, rq_redis):
    """run_worker(mail_port=...) runs `flask jobs worker --burst` until the queue is empty, as
    a separate process on the test's database, and returns its output."""

    def _run(mail_port=None, *options):
        env = {
            **os.environ,
            "FLASK_APP": "wsgi.py", "FLASK_CONFIG": "development",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": rq_redis,
            "SITE_URL": app.config["SITE_URL"], "RATELIMIT_ENABLED": "0",
            "MAIL_SERVER": "127.0.0.1" if mail_port or app.config.get("MAIL_SERVER") else "",
            "MAIL_PORT": str(mail_port or app.config.get("MAIL_PORT") or 25),
        }
        env.pop("JOB_REDIS_URL", None)
        if not env["MAIL_SERVER"]:
            env.pop("MAIL_SERVER")
        done = subprocess.run([sys.executable, "-m", "flask", "jobs", "worker", "--burst", *options], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-3000:]
        db.session.expire_all()
        return done.stdout + done.stderr
    return _run


def test_with_rq_the_worker_sends_the_mail_after_the_commit(app, owner, mailbox, run_worker):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    db.session.commit()
    assert mailbox.to(owner.email) == []  # handed to the queue, not sent by the web process
    [job] = job_rows("mail.send")
    assert job.status is JobStatus.queued

    run_worker()

    [message] = mailbox.to(owner.email)
    assert "天府大道北延线" in message["Subject"]
    [job] = job_rows("mail.send")
    assert (job.status, job.attempts, job.error) == (JobStatus.done, 1, None)


def test_with_rq_a_failing_job_is_retried_then_failed_and_an_admin_retry_runs_it(app, owner, admin, mailbox,
                                                                               run_worker):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    db.session.commit()

    run_worker(mail_port=closed_port())  # the mail server is away

    [job] = job_rows("mail.send")
    assert job.status is JobStatus.failed
    assert job.attempts == job.max_attempts == 4  # the first try and three retries
    assert "ConnectionRefusedError" in job.error
    assert mailbox.to(owner.email) == []

    jobs.retry(job, by=admin)
    db.session.commit()
    assert job_rows("mail.send")[0].status is JobStatus.queued
    run_worker()  # the mail server is back

    [job] = job_rows("mail.send")
    assert (job.status, job.attempts, job.error) == (JobStatus.done, 1, None)
    assert len(mailbox.to(owner.email)) == 1


def test_with_rq_a_worker_with_max_jobs_stops_after_that_many(app, owner, institution, mailbox, run_worker):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    notify([institution], "need_approved", PARAMS)
    db.session.commit()

    run_worker(None, "--max-jobs", "1")

    assert sorted(j.status.value for j in job_rows("mail.send")) == ["done", "queued"]
    assert len(mailbox.messages) == 1
    run_worker()  # the next process takes the rest
    assert [j.status for j in job_rows("mail.send")] == [JobStatus.done, JobStatus.done]
    assert len(mailbox.messages) == 2


def test_with_rq_nothing_is_queued_for_a_rolled_back_change(app, owner, rq_redis):
    from redis import Redis

    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    db.session.rollback()
    assert job_rows() == []
    assert jobs.rq_queue().count == 0
    assert Redis.from_url(rq_redis).dbsize() == 0


# ---- in-process, without Redis -------------------------------------------------------------------
def test_in_process_the_mail_leaves_only_once_the_transaction_commits(app, owner, mailbox):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    db.session.flush()
    assert mailbox.to(owner.email) == []  # written, not yet committed: nothing sent

    db.session.commit()

    assert len(mailbox.to(owner.email)) == 1
    [job] = job_rows("mail.send")
    assert (job.status, job.attempts) == (JobStatus.done, 1)
    assert job.args["to"] == owner.email and job.started_at and job.finished_at
    assert "body" not in job.args  # sent: a reset link in it is not kept in the database


def test_in_process_a_rollback_drops_the_job(app, owner, mailbox):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    db.session.rollback()
    db.session.commit()
    assert mailbox.messages == [] and job_rows() == []


def test_a_job_in_a_savepoint_that_rolled_back_is_not_run(app, owner, institution, mailbox):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            notify([institution], "need_approved", PARAMS)
            raise RuntimeError("refused")
    db.session.commit()
    assert len(mailbox.to(owner.email)) == 1 and mailbox.to(institution.email) == []


def test_a_released_savepoint_does_not_run_the_jobs_before_the_commit(app, owner, institution, mailbox):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    with db.session.begin_nested():  # e.g. an insert guarded against a duplicate
        notify([institution], "need_approved", PARAMS)
    assert mailbox.messages == [] and {j.status for j in job_rows("mail.send")} == {JobStatus.queued}
    db.session.commit()
    assert len(mailbox.to(owner.email)) == 1 and len(mailbox.to(institution.email)) == 1


def test_in_process_a_failure_is_recorded_and_the_change_stays(app, owner, admin, mailbox):
    db.session.commit()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = closed_port()
    notify([owner], "need_approved", PARAMS)
    db.session.commit()  # does not raise: the notification is saved, the e-mail failed

    [job] = job_rows("mail.send")
    assert job.status is JobStatus.failed and job.attempts == 1
    assert "ConnectionRefusedError" in job.error
    assert mailbox.messages == []

    app.config["MAIL_PORT"] = port
    jobs.retry(job, by=admin)
    db.session.commit()

    [job] = job_rows("mail.send")
    assert job.status is JobStatus.done and job.error is None
    assert len(mailbox.to(owner.email)) == 1
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "job.retry")).one()
    assert entry.object_type == "job" and entry.object_id == job.id and entry.actor_id == admin.id


def test_a_job_runs_once_however_often_it_is_performed(app, owner, mailbox):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    db.session.commit()
    [job] = job_rows("mail.send")

    jobs.perform(job.id)  # delivered twice by the queue, or run by a second worker
    jobs.perform(job.id)

    assert len(mailbox.to(owner.email)) == 1
    assert job_rows("mail.send")[0].attempts == 1


def test_only_failed_jobs_are_retried_and_only_by_admins(app, owner, admin, institution):
    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    db.session.commit()
    [job] = job_rows("mail.send")
    assert job.status is JobStatus.done
    with pytest.raises(InvalidTransition):
        jobs.retry(job, by=admin)
    job.status = JobStatus.failed
    with pytest.raises(NotFound):  # not even shown to anyone but admins
        jobs.retry(job, by=institution)


# ---- jobs a worker left running when it was killed -------------------------------------------------
def left_running(to: str, *, minutes: int, attempts: int = 1) -> Job:
    """An e-mail job that a worker claimed `minutes` ago and never finished (killed)."""
    job = jobs.enqueue("mail.send", to=to, subject="项目对接会通知", body="请准时参会。",
                       date=formatdate(), message_id=make_msgid(domain="citypartner.local"))
    job.status, job.attempts, job.started_at = JobStatus.running, attempts, utcnow() - timedelta(minutes=minutes)
    db.session.commit()  # handed to the in-process runner, which skips a job no longer queued
    return job


def test_requeue_releases_the_jobs_a_stopped_worker_left_running(app, runner, owner, institution, mailbox):
    app.config["JOB_STALE_AFTER"] = 10 * 60
    interrupted = left_running(owner.email, minutes=11)
    exhausted = left_running(institution.email, minutes=30, attempts=4)
    live = left_running("busy@test.cn", minutes=5)  # a worker may still be on it

    result = runner.invoke(args=["jobs", "requeue"])

    assert result.exit_code == 0, result.output
    assert "2 interrupted job(s) released" in result.output
    rows = {job.id: job for job in job_rows()}
    # Back in the queue, then run (in-process here): the e-mail arrives, once.
    assert (rows[interrupted.id].status, rows[interrupted.id].attempts) == (JobStatus.done, 2)
    assert len(mailbox.to(owner.email)) == 1
    # No attempts left: failed, for an administrator to retry, with the reason.
    assert rows[exhausted.id].status is JobStatus.failed
    assert "Interrupted" in rows[exhausted.id].error
    assert mailbox.to(institution.email) == []
    assert rows[live.id].status is JobStatus.running
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "job.interrupted")
                                 .order_by(AuditEntry.object_id)).all()
    assert [(e.object_id, e.actor_id, e.after) for e in entries] == [
        (interrupted.id, None, {"status": "queued"}), (exhausted.id, None, {"status": "failed"})]

    again = runner.invoke(args=["jobs", "requeue"])  # nothing left to release
    assert "0 interrupted job(s) released" in again.output


def test_with_rq_a_starting_worker_releases_and_runs_what_a_killed_one_left(app, owner, mailbox, run_worker):
    job = left_running(owner.email, minutes=20)  # older than JOB_STALE_AFTER's 15 minutes

    output = run_worker()

    assert "1 interrupted job(s) released" in output
    [message] = mailbox.to(owner.email)
    assert message["Subject"] == "项目对接会通知"
    assert job_rows()[0].status is JobStatus.done and job_rows()[0].id == job.id


def test_unknown_kinds_are_refused(app):
    with pytest.raises(KeyError):
        jobs.enqueue("mail.sned", to="x")


# ---- publishing: the files and the notices are jobs -------------------------------------------------
def _publish_world(admin, owner_org, institution):
    from decimal import Decimal

    from app.services import editions
    from tests import factories

    for district in ("510104", "510104", "510105"):
        project = factories.make_project(org=owner_org, district_code=district)
        factories.make_need(project, status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
    editions.save_search(institution, name="锦江区项目", filters=editions.Filters.from_args({"district": "510104"}))
    db.session.commit()
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


def _files(edition_id) -> dict:
    db.session.expire_all()
    return {f.format: f for f in db.session.scalars(sa.select(EditionFile).where(EditionFile.edition_id == edition_id))}


def test_with_rq_publishing_commits_at_once_and_the_worker_renders_files_and_mails_notices(
        app, client, admin, owner_org, institution, expert, mailbox, run_worker):
    edition = _publish_world(admin, owner_org, institution)
    edition_id = edition.id

    # Live at once, its files still to come: the links say so, and their addresses answer a page.
    assert db.session.get(Edition, edition_id).status is EditionStatus.published
    assert _files(edition_id) == {} and db.session.get(Edition, edition_id).files_ready_at is None
    page = client.get("/editions/2026-6").get_data(as_text=True)
    assert "正在生成" in page and "/editions/2026-6.pdf" not in page
    pending = client.get("/editions/2026-6.pdf")
    assert pending.status_code == 404 and "正在生成" in pending.get_data(as_text=True)
    assert mailbox.messages == []
    assert {j.kind for j in job_rows()} == {"edition.files", "edition.notify"}

    run_worker()

    files = _files(edition_id)
    assert set(files) == {"pdf", "xlsx", "csv", "json"}
    assert files["pdf"].content.startswith(b"%PDF") and files["xlsx"].content[:2] == b"PK"
    assert db.session.get(Edition, edition_id).files_ready_at is not None
    page = client.get("/editions/2026-6").get_data(as_text=True)
    assert "正在生成" not in page and "/editions/2026-6.pdf" in page
    assert client.get("/editions/2026-6.xlsx").status_code == 200
    [message] = mailbox.to(institution.email)  # the notice with the saved search's matches
    assert "2" in message["Subject"] and "锦江区项目" in mailbox.body(message)
    assert len(mailbox.to(expert.email)) == 1
    assert {j.status for j in job_rows()} == {JobStatus.done}
    kinds = {n.user_id: n.kind for n in db.session.scalars(sa.select(Notification))}
    assert kinds == {institution.id: "edition_published_matches", expert.id: "edition_published"}


def test_without_redis_publishing_renders_the_files_and_sends_the_notices_in_process(
        app, client, admin, owner_org, institution, mailbox):
    edition = _publish_world(admin, owner_org, institution)

    assert set(_files(edition.id)) == {"pdf", "xlsx", "csv", "json"}
    assert db.session.get(Edition, edition.id).files_ready_at is not None
    assert "正在生成" not in client.get("/editions/2026-6").get_data(as_text=True)
    assert client.get("/editions/2026-6.csv").status_code == 200
    [message] = mailbox.to(institution.email)
    assert "锦江区项目" in mailbox.body(message)
    assert {(j.kind, j.status) for j in job_rows()} == {
        ("edition.files", JobStatus.done), ("edition.notify", JobStatus.done), ("mail.send", JobStatus.done)}


def test_the_files_job_is_idempotent_and_a_failure_leaves_the_edition_published(
        app, admin, owner_org, institution, monkeypatch):
    from app.services import exports

    def broken(meta, items):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "edition_xlsx", broken)
    edition = _publish_world(admin, owner_org, institution)  # the xlsx fails after the commit

    assert db.session.get(Edition, edition.id).status is EditionStatus.published
    [files_job] = job_rows("edition.files")
    assert files_job.status is JobStatus.failed and "disk full" in files_job.error
    assert _files(edition.id) == {}  # nothing half-stored: the job's writes are one transaction
    monkeypatch.undo()
    jobs.retry(files_job, by=admin)
    db.session.commit()
    first = {fmt: f.sha256 for fmt, f in _files(edition.id).items()}
    assert set(first) == {"pdf", "xlsx", "csv", "json"}

    from app.services import editions

    editions.render_files_job(edition_id=edition.id)  # once more: nothing changes
    db.session.commit()
    assert {fmt: f.sha256 for fmt, f in _files(edition.id).items()} == first
