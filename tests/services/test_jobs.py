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
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Job, JobStatus
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

    def _run(mail_port=None):
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
        done = subprocess.run([sys.executable, "-m", "flask", "jobs", "worker", "--burst"], cwd=ROOT, env=env,
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


def test_unknown_kinds_are_refused(app):
    with pytest.raises(KeyError):
        jobs.enqueue("mail.sned", to="x")
