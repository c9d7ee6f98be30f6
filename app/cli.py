"""flask commands: users, tokens, demo data."""

import click
import sqlalchemy as sa
from flask import Flask

from app.extensions import db


def register(app: Flask) -> None:
    @app.cli.group()
    def tokens():
        """API tokens."""

    @tokens.command("create")
    @click.argument("email")
    @click.option("--name", default="cli", help="A name to recognise the token by.")
    def create_token(email, name):
        """Create an API token for EMAIL and print it (shown only once)."""
        from app.services import accounts
        from app.services.errors import NotAllowed

        user = accounts.find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"no user with e-mail {email}")
        try:
            secret, _row = accounts.create_api_token(user, name)
        except NotAllowed:
            raise click.ClickException(
                f"{email} is not verified (an active account in a verified organisation)") from None
        db.session.commit()
        click.echo(secret)

    @app.cli.group()
    def users():
        """User accounts."""

    @users.command("create-admin")
    @click.argument("email")
    @click.option("--name", default="管理员")
    @click.password_option()
    def create_admin(email, name, password):
        """Create a verified administrator in the city's government organisation."""
        from app.models import Organization, OrgStatus, Role, User, UserStatus
        from app.models.base import utcnow
        from app.reference import OrgKind
        from app.services import accounts
        from app.services.errors import ValidationFailed

        if accounts.find_user_by_email(email):
            raise click.ClickException(f"{email} already exists")
        org = db.session.scalar(sa.select(Organization).where(Organization.kind == OrgKind.government))
        if org is None:
            org = Organization(name="成都市发展和改革委员会", short_name="市发改委",
                               credit_code="11510100008921463C", kind=OrgKind.government,
                               status=OrgStatus.verified, verified_at=utcnow())
            db.session.add(org)
        try:
            accounts.check_password_strength(password, email, name)
        except ValidationFailed as exc:
            raise click.ClickException(" ".join(exc.messages())) from None
        user = User(email=email.lower(), name=name, org=org, role=Role.admin, status=UserStatus.active)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(f"administrator {email} created")

    @app.cli.group()
    def editions():
        """List editions."""

    @editions.command("publish")
    @click.argument("year", type=int)
    @click.argument("period", type=click.IntRange(1, 6))
    @click.option("--admin", "admin_email", required=True, help="E-mail of the publishing administrator.")
    def publish_edition(year, period, admin_email):
        """Compile (if needed) and publish the edition YEAR PERIOD, e.g. 2026 6."""
        from app.services import accounts
        from app.services import editions as edition_service
        from app.services.errors import DomainError

        admin = accounts.find_user_by_email(admin_email)
        if admin is None:
            raise click.ClickException(f"no user with e-mail {admin_email}")
        try:
            edition = edition_service.open_draft(year, period, by=admin)
            edition_service.publish_edition(edition, by=admin)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc.message)) from None
        db.session.commit()
        from app.services import page_cache

        page_cache.new_generation()  # cached edition pages (shared when REDIS_URL is set)
        click.echo(f"published {edition.title_zh} (revision {edition.revision}, {len(edition.items)} items)")

    @app.cli.group()
    def demo():
        """Demo data."""

    @demo.command("load")
    def demo_load():
        """Load realistic Chengdu demo data (idempotent) and print the demo accounts."""
        from app.demo import load_demo

        created = load_demo()
        db.session.commit()
        click.echo("Demo data " + ("loaded." if created else "already present."))
        from app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

        click.echo("Demo accounts (password %s):" % DEMO_PASSWORD)
        for email, role in DEMO_ACCOUNTS:
            click.echo(f"  {email:<20} {role}")

    @app.cli.group()
    def jobs():
        """Background jobs (RQ on Redis: JOB_REDIS_URL, by default REDIS_URL)."""

    @jobs.command("worker")
    @click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
    @click.option("--max-jobs", type=click.IntRange(min=1), default=None,
                  help="Stop after this many jobs, for the supervisor to start a fresh process "
                       "(the PDF compiler keeps its layouts in memory).")
    def jobs_worker(burst, max_jobs):
        """Run the jobs of the queue, in this app's context (needs REDIS_URL)."""
        from flask import current_app
        from rq import SimpleWorker

        from app.services import jobs as job_service

        if not current_app.config.get("JOB_REDIS_URL"):
            raise click.ClickException("REDIS_URL is not set: without it jobs run in the web process.")
        queue = job_service.rq_queue()
        # SimpleWorker: each job runs in this process, inside the app; perform() gives every
        # job an application context (and database session) of its own.
        # Jobs left running by a worker that stopped mid-job go back to the queue first.
        released = job_service.release_interrupted()
        db.session.commit()
        if released:
            click.echo(f"{len(released)} interrupted job(s) released")
        worker = SimpleWorker([queue], connection=queue.connection)
        worker.work(burst=burst, with_scheduler=True, max_jobs=max_jobs)

    @jobs.command("requeue")
    @click.option("--older-than", default=600, show_default=True, help="Seconds a job has waited.")
    @click.option("--running-longer-than", type=int, default=None,
                  help="Seconds a job has run before it counts as interrupted [default: JOB_STALE_AFTER].")
    def jobs_requeue(older_than, running_longer_than):
        """Send again to the queue the jobs still queued (Redis was away when they were saved),
        and release the jobs left running by a worker that stopped mid-job."""
        from app.services import jobs as job_service

        count = job_service.requeue_stale(older_than)
        released = job_service.release_interrupted(running_longer_than)
        db.session.commit()
        click.echo(f"{count} job(s) sent again")
        click.echo(f"{len(released)} interrupted job(s) released")

    @app.cli.group()
    def interests():
        """Financing interests: follow-up."""

    @interests.command("remind")
    def interests_remind():
        """Remind the institutions that left a new interest uncontacted too long, and those
        whose offer's validity ends soon (run daily)."""
        from app.services.outcomes import reminders

        count = reminders.send_reminders()
        ending = reminders.send_validity_reminders()
        db.session.commit()
        click.echo(f"{count} reminder(s) sent")
        click.echo(f"{ending} validity reminder(s) sent")
