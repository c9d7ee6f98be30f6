"""Background jobs: work done after a commit (e-mail, publication notices, edition files).

A Job row is written in the transaction that asks for the work, so the work exists exactly
when the change does; app/services/jobs.py hands it to RQ (or runs it in-process) once that
transaction has committed. The row is what administrators see on /admin/jobs, whichever
backend runs it.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow
from app.reference import register_labels


class JobStatus(enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


# running -> queued: the attempt failed and the queue will try again (backoff).
# failed -> queued: an administrator asked for another try.
JOB_TRANSITIONS = {
    JobStatus.queued: {JobStatus.running},
    JobStatus.running: {JobStatus.done, JobStatus.queued, JobStatus.failed},
    JobStatus.failed: {JobStatus.queued},
    JobStatus.done: set(),
}

JOB_STATUS_LABELS = register_labels(
    JobStatus,
    {
        JobStatus.queued: _l("Queued"),
        JobStatus.running: _l("Running"),
        JobStatus.done: _l("Done"),
        JobStatus.failed: _l("Failed"),
    },
)


class Job(db.Model):
    __tablename__ = "job"
    __table_args__ = (sa.Index("ix_job_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # a key of services.jobs.KINDS
    args: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.queued)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=1)
    error: Mapped[str | None] = mapped_column(sa.Text)  # the last attempt's, until one succeeds
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status.value}>"
