"""Background jobs: work that follows a commit, done outside the request.

    jobs.enqueue("mail.send", to=..., subject=..., body=...)

writes a Job row in the caller's transaction and nothing else. Once that transaction has
committed (SQLAlchemy's after_commit), the job is handed to RQ on JOB_REDIS_URL (by
default REDIS_URL), where
`flask jobs worker` runs it; without Redis it runs in this process right away. A
rollback drops it with the rest of the transaction, so no job speaks of a change that did
not happen, and no worker can look for a row before it exists.

Every kind of job is idempotent: a job already done is not done again, and the work of a
job that writes to the database commits in the same transaction as its "done". A failed
attempt is retried after each of JOB_RETRY_INTERVALS (RQ's Retry); the last failure leaves
the job failed, with its error, for an administrator to retry from /admin/jobs. In-process
there is no worker to come back later: a failure is final at once (the change itself is
committed and the page answers normally) and waits for that retry.

The status of a job is set here only (claim, finish, fail, retry, release), along
JOB_TRANSITIONS, without an audit row per step: an administrator's retry is audited, and so
is the release of a job that a stopped worker left running (release_interrupted).
"""

import importlib
import logging
import threading
from collections import deque

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import JOB_TRANSITIONS, Job, JobStatus
from app.models.base import utcnow
from app.services import audit
from app.services.errors import InvalidTransition
from app.services.permissions import require

log = logging.getLogger("citypartner.jobs")
PENDING = "jobs_pending"
ERROR_MAX = 4000

# kind -> (label, the function that does the work, called with the job's args).
KINDS = {
    "mail.send": (_l("E-mail"), "app.services.mail:send_job"),
    "edition.files": (_l("Edition files"), "app.services.editions.files:render_files_job"),
    "edition.notify": (_l("Publication notices"), "app.services.editions.searches:notify_readers_job"),
}
# Arguments not kept once the job is done: an e-mail's body may hold a password-reset link.
FORGOTTEN_WHEN_DONE = {"mail.send": ("body",)}


def label(kind: str) -> str:
    return str(KINDS[kind][0]) if kind in KINDS else kind


def summary(job: Job) -> str:
    """What the job is about, in words: the recipient and subject of an e-mail, the edition."""
    args = job.args or {}
    if job.kind == "mail.send":
        return _("To %(to)s: %(subject)s", to=args.get("to", ""), subject=args.get("subject", ""))
    if job.kind.startswith("edition.") and "year" in args:
        return _("List edition %(year)s No. %(period)s, revision %(revision)s", year=args["year"],
                 period=args["period"], revision=args.get("revision", 1))
    return ""


def _handler(kind: str):
    module, name = KINDS[kind][1].split(":")
    return getattr(importlib.import_module(module), name)


def _attempts_allowed() -> int:
    return 1 + len(current_app.config["JOB_RETRY_INTERVALS"])


# ---- asking for work ---------------------------------------------------------------------
def enqueue(kind: str, **args) -> Job:
    """A job of `kind` with JSON-ready `args`, run once the caller's transaction commits."""
    if kind not in KINDS:
        raise KeyError(kind)
    job = Job(kind=kind, args=args, status=JobStatus.queued, attempts=0,
              max_attempts=_attempts_allowed())
    db.session.add(job)
    db.session.info.setdefault(PENDING, []).append(job)
    return job


def discard(kind: str) -> list[Job]:
    """Take back the jobs of `kind` asked for in this transaction (the demo data's e-mails go
    to no real mailbox); returns them."""
    pending = db.session.info.get(PENDING, [])
    dropped = [j for j in pending if j.kind == kind]
    for job in dropped:
        pending.remove(job)
        state = sa.inspect(job)
        if state.persistent:
            db.session.delete(job)
        elif state.pending:
            db.session.expunge(job)
    return dropped


def _committed_ids(jobs: list[Job]) -> list[int]:
    """The ids of the jobs that were written (a job added in a savepoint that rolled back
    has none). Read from the identity map: no SQL may run inside after_commit."""
    ids = []
    for job in jobs:
        identity = sa.inspect(job).identity
        if identity is not None:
            ids.append(identity[0])
    return ids


@event.listens_for(Session, "after_commit")
def _dispatch(session):
    if session.get_nested_transaction() is not None:  # a savepoint released: wait for the commit
        return
    jobs = session.info.pop(PENDING, None)
    if not jobs or not has_app_context():
        return
    ids = _committed_ids(jobs)
    if not ids:
        return
    if current_app.config.get("JOB_REDIS_URL"):
        _to_redis(ids)
    else:
        _run_here(ids)


@event.listens_for(Session, "after_soft_rollback")
def _drop(session, previous_transaction):
    # The whole transaction: its jobs go with it. A savepoint: the jobs asked for inside it
    # lose their row and are skipped at the commit (_committed_ids); the others stay.
    if not previous_transaction.nested:
        session.info.pop(PENDING, None)


# ---- the two backends ----------------------------------------------------------------------
def redis_connection():
    from redis import Redis

    return Redis.from_url(current_app.config["JOB_REDIS_URL"])


def rq_queue():
    from rq import Queue

    return Queue(current_app.config["JOB_QUEUE"], connection=redis_connection(),
                 default_timeout=current_app.config["JOB_TIMEOUT"])


def _to_redis(ids: list[int]) -> None:
    from rq import Retry

    intervals = list(current_app.config["JOB_RETRY_INTERVALS"])
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    try:
        queue = rq_queue()
        for job_id in ids:
            queue.enqueue(perform, job_id, retry=retry, description=f"citypartner job {job_id}")
    except Exception:  # Redis is down: the change is committed, the jobs wait as queued
        log.exception("could not hand job(s) %s to the queue; `flask jobs requeue` sends them again", ids)


_local = threading.local()


def _run_here(ids: list[int]) -> None:
    """Run the jobs now, one after the other. Jobs asked for by a job (the e-mails of the
    notices) join the same line instead of running inside it."""
    line = getattr(_local, "line", None)
    if line is not None:
        line.extend(ids)
        return
    _local.line = line = deque(ids)
    try:
        while line:
            job_id = line.popleft()
            try:
                perform(job_id, retry_later=False)
            except Exception:  # recorded on the job; the caller's change is committed
                log.exception("job %s failed", job_id)
    finally:
        _local.line = None


# ---- doing the work ----------------------------------------------------------------------------
def perform(job_id: int, retry_later: bool = True) -> None:
    """Run job `job_id` once, in an application context of its own (a session of its own).
    The RQ worker calls this; so does the in-process runner, with retry_later=False."""
    if has_app_context():
        app = current_app._get_current_object()
    else:  # a plain `rq worker`: build the app from the environment
        from app import create_app

        app = create_app()
    with app.app_context():
        _perform(job_id, retry_later=retry_later)


def _set(job: Job, to: JobStatus) -> None:
    if to not in JOB_TRANSITIONS[job.status]:
        raise InvalidTransition()
    job.status = to


def _perform(job_id: int, *, retry_later: bool) -> None:
    # Claimed with one conditional UPDATE: a job done, running elsewhere or gone is skipped,
    # which is what makes running the same job twice harmless.
    claimed = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.queued)
        .values(status=JobStatus.running, attempts=Job.attempts + 1, started_at=utcnow(),
                finished_at=None)).rowcount
    db.session.commit()
    if not claimed:
        log.info("job %s: not queued any more, skipped", job_id)
        return
    job = db.session.get(Job, job_id)
    try:
        _handler(job.kind)(**(job.args or {}))
        _set(job, JobStatus.done)
        forgotten = FORGOTTEN_WHEN_DONE.get(job.kind, ())
        job.args = {k: v for k, v in (job.args or {}).items() if k not in forgotten}
        job.error = None
        job.finished_at = utcnow()
        db.session.commit()  # the job's own writes and its "done", together
    except Exception as exc:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
        job.finished_at = utcnow()
        again = retry_later and job.attempts < job.max_attempts
        _set(job, JobStatus.queued if again else JobStatus.failed)
        db.session.commit()
        raise


# ---- what administrators see and do -----------------------------------------------------------
def list_jobs(*, by, status: JobStatus | None = None) -> sa.Select:
    require(by, "view", Job(status=JobStatus.queued))
    query = sa.select(Job)
    if status is not None:
        query = query.where(Job.status == status)
    return query.order_by(Job.created_at.desc(), Job.id.desc())


def counts(*, by) -> dict[JobStatus, int]:
    require(by, "view", Job(status=JobStatus.queued))
    return dict(db.session.execute(
        sa.select(Job.status, sa.func.count(Job.id)).group_by(Job.status)).all())


def retry(job: Job, *, by) -> None:
    """A failed job tries again, with its full share of attempts (the caller commits)."""
    require(by, "retry", job)
    _set(job, JobStatus.queued)
    job.attempts = 0
    job.max_attempts = _attempts_allowed()
    db.session.info.setdefault(PENDING, []).append(job)
    db.session.flush()
    audit.record("job.retry", job, by=by, note=" ".join(filter(None, (label(job.kind), summary(job)))))


INTERRUPTED = "Interrupted: still running after {seconds} s (its worker stopped)"


def release_interrupted(older_than_seconds: int | None = None) -> list[Job]:
    """The jobs a worker left running when it stopped mid-job (killed, machine restarted):
    running for longer than JOB_STALE_AFTER seconds, each goes back to the queue, or to
    failed once it has used all its attempts, with an audit row. Moved with a conditional
    UPDATE, so two sweeps at once release a job once. The caller commits; the queued ones
    are handed to the queue after the commit."""
    from datetime import timedelta

    if older_than_seconds is None:
        older_than_seconds = current_app.config["JOB_STALE_AFTER"]
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    stale = db.session.scalars(sa.select(Job).where(Job.status == JobStatus.running,
                                                   Job.started_at < cutoff).order_by(Job.id)).all()
    released = []
    for job in stale:
        to = JobStatus.queued if job.attempts < job.max_attempts else JobStatus.failed
        if to not in JOB_TRANSITIONS[job.status]:
            raise InvalidTransition()
        moved = db.session.execute(
            sa.update(Job).where(Job.id == job.id, Job.status == JobStatus.running)
            .values(status=to, finished_at=utcnow(),
                    error=INTERRUPTED.format(seconds=older_than_seconds))
            .execution_options(synchronize_session=False)).rowcount
        if not moved:  # finished, or released by another sweep, in the meantime
            continue
        db.session.refresh(job)
        if to is JobStatus.queued:
            db.session.info.setdefault(PENDING, []).append(job)
        audit.record("job.interrupted", job, by=None, before={"status": JobStatus.running.value},
                     after={"status": to.value},
                     note=" ".join(filter(None, (label(job.kind), summary(job)))))
        released.append(job)
    return released


def requeue_stale(older_than_seconds: int = 600) -> int:
    """Hand again to the queue the jobs still queued after this long (Redis was down when
    they were committed). Safe: a job is claimed once. The caller commits."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    stale = db.session.scalars(sa.select(Job).where(Job.status == JobStatus.queued,
                                                   Job.created_at < cutoff)).all()
    db.session.info.setdefault(PENDING, []).extend(stale)
    return len(stale)
