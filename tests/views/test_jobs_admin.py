"""/admin/jobs: administrators see every job (queued, running, done, failed with its
error), retry a failed one, in Chinese and in English; nobody else sees the page."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Job, JobStatus
from app.models.base import utcnow
from tests.conftest import login
from tests.services.test_jobs import PARAMS, closed_port, job_rows, rq_redis, run_worker  # noqa: F401
from tests.views.test_auth_views import html
from tests.views.test_security import sibling_app


def a_job(status=JobStatus.queued, error=None, to="owner@test.cn", subject="融资需求已通过"):
    job = Job(kind="mail.send", args={"to": to, "subject": subject, "body": "…", "date": "",
                                      "message_id": "<x@test>"},
              status=status, attempts=4 if status is JobStatus.failed else 0, max_attempts=4, error=error,
              started_at=utcnow() if status is not JobStatus.queued else None)
    db.session.add(job)
    db.session.flush()
    return job


def rows(page: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r'<tr id="job-(\d+)" data-status="(\w+)"', page)}


def test_admin_sees_each_status_and_the_error_of_a_failure(client, admin):
    queued, running, done = a_job(), a_job(JobStatus.running), a_job(JobStatus.done)
    failed = a_job(JobStatus.failed, error="ConnectionRefusedError: [Errno 111] Connection refused")
    login(client, admin)

    page = html(client.get("/admin/jobs"))

    assert rows(page) == {failed.id: "failed", done.id: "done", running.id: "running", queued.id: "queued"}
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in page
    assert "发往 owner@test.cn：融资需求已通过" in page and "邮件" in page
    for word in ("排队中", "运行中", "已完成", "失败"):
        assert word in page
    # the retry button is offered for the failed job only
    assert page.count('action="/admin/jobs/') == 1 and f'/admin/jobs/{failed.id}/retry' in page
    assert "重试" in page

    english = html(client.get("/admin/jobs?lang=en&status=failed"))
    assert rows(english) == {failed.id: "failed"}
    assert "Background jobs" in english and "To owner@test.cn: 融资需求已通过" in english and ">Retry<" in english


def test_retry_from_the_page_runs_the_job_again(client, admin, owner, mailbox):
    from app.services.notifications import notify

    db.session.commit()
    app = client.application
    good = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = closed_port()
    notify([owner], "need_approved", PARAMS)
    db.session.commit()
    [job] = job_rows("mail.send")
    assert job.status is JobStatus.failed
    app.config["MAIL_PORT"] = good
    login(client, admin)

    response = client.post(f"/admin/jobs/{job.id}/retry?status=failed", follow_redirects=True)

    assert response.status_code == 200
    assert f"第 {job.id} 号任务已重新提交运行" in html(response)
    assert job_rows("mail.send")[0].status is JobStatus.done
    assert len(mailbox.to(owner.email)) == 1


def test_retrying_a_job_that_has_not_failed_is_refused(client, admin):
    job = a_job(JobStatus.done)
    login(client, admin)
    response = client.post(f"/admin/jobs/{job.id}/retry")
    assert response.status_code in (302, 409)
    assert db.session.get(Job, job.id).status is JobStatus.done
    assert client.post("/admin/jobs/99999999/retry").status_code == 404


def test_retry_needs_the_csrf_token(app, admin):
    job = a_job(JobStatus.failed, error="OSError: down")
    db.session.commit()
    client = sibling_app(app, WTF_CSRF_ENABLED=True).test_client()
    login(client, admin)
    client.post(f"/admin/jobs/{job.id}/retry")  # refused: sent back with a warning
    assert job_rows()[0].status is JobStatus.failed
    page = html(client.get("/admin/jobs"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token}).status_code == 302
    assert job_rows()[0].status is JobStatus.done  # MAIL_SERVER unset: the message went to the log


@pytest.mark.parametrize("who", ["owner", "institution", "expert"])
def test_only_admins_open_the_page(request, client, who):
    login(client, request.getfixturevalue(who))
    assert client.get("/admin/jobs").status_code == 403


def test_the_page_is_paginated_and_costs_the_same_for_few_and_many_jobs(client, admin, count_queries):
    login(client, admin)

    def statements(url="/admin/jobs"):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    for _ in range(2):
        a_job(JobStatus.failed, error="OSError")
    db.session.commit()
    few = statements()
    for _ in range(40):
        a_job(JobStatus.done)
    db.session.commit()
    assert statements() == few
    second = html(client.get("/admin/jobs?page=2"))
    assert len(rows(second)) == 20 and "page 2 of 3" in html(client.get("/admin/jobs?page=2&lang=en"))


def test_a_worker_failure_shows_on_the_page(client, admin, owner, mailbox, run_worker):  # noqa: F811
    from app.services.notifications import notify

    db.session.commit()
    notify([owner], "need_approved", PARAMS)
    db.session.commit()
    run_worker(mail_port=closed_port())
    [job] = job_rows("mail.send")
    login(client, admin)

    page = html(client.get("/admin/jobs?status=failed"))

    assert rows(page) == {job.id: "failed"} and "ConnectionRefusedError" in page
    assert "4 / 4" in page
    client.post(f"/admin/jobs/{job.id}/retry")
    run_worker()
    assert rows(html(client.get("/admin/jobs?status=done"))) == {job.id: "done"}
    assert len(mailbox.to(owner.email)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
