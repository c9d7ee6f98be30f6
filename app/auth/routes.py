from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from app.auth import bp
from app.auth.forms import (
    ForgotForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    TokenForm,
)
from app.extensions import db, limiter
from app.forms import show_errors
from app.reference import OrgKind
from app.services import accounts, login_throttle
from app.services.errors import ValidationFailed
from app.services.loader import require_id
from app.services.permissions import require
from app.urls import local_url


def _safe_next(target: str | None) -> str:
    return local_url(target, url_for("main.index"))


@bp.before_app_request
def end_idle_session():
    """A session idle for SESSION_IDLE_MINUTES has been ended on the server: say so and ask
    for a new login, coming back here afterwards."""
    if "sid" not in session or request.path.startswith(("/api/", "/static/")):
        return None
    current_user._get_current_object()  # loads the session (once per request)
    if not g.pop("session_idled_out", False):
        return None
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You were logged out after %(minutes)d minutes without activity. Please log in again.",
            minutes=current_app.config["SESSION_IDLE_MINUTES"]), "warning")
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=back))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data
        if login_throttle.is_locked(email):
            flash(_locked_message(), "danger")
            return render_template("auth/login.html", form=form), 200
        user = accounts.authenticate(email, form.password.data)
        if not accounts.may_log_in(user):
            locked = user is None and login_throttle.record_failure(email)
            db.session.commit()  # keep the failed-login audit row and the count
            flash(_locked_message() if locked else
                  _("Wrong e-mail or password, or the account is deactivated."), "danger")
            return render_template("auth/login.html", form=form), 200
        login_throttle.record_success(email)
        session.clear()
        session["sid"] = accounts.start_session(user)
        session["lang"] = user.locale
        session.permanent = True
        login_user(user)
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _locked_message() -> str:
    # The same words for every address, registered or not: a lock reveals no account.
    return _("Too many failed logins with this e-mail address: logging in with it is "
             "suspended for %(minutes)d minutes. If you have forgotten your password, reset it.",
             minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])


@bp.post("/logout")
def logout():
    accounts.end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        common = dict(email=form.email.data, name=form.name.data, password=form.password.data,
                      phone=form.phone.data or None, locale=session.get("lang", "zh"))
        try:
            if form.mode.data == "join":
                accounts.register_member(credit_code_value=form.credit_code.data, **common)
            else:
                accounts.register_organization(
                    org_name=form.org_name.data, credit_code_value=form.credit_code.data,
                    kind=OrgKind(form.org_kind.data), district_code=form.district_code.data or None,
                    **common)
            db.session.commit()
            return _registered()
        except ValidationFailed as exc:
            db.session.rollback()  # nothing half-registered stays behind
            show_errors(form, exc)
        except (accounts.AlreadyRegistered, IntegrityError) as exc:
            # The address has an account, or got one from a registration running at the same
            # moment: answer as for any registration and tell the address's owner instead.
            db.session.rollback()
            if isinstance(exc, IntegrityError) and accounts.find_user_by_email(form.email.data) is None:
                if accounts.find_org_by_code(form.credit_code.data) is None:
                    raise
                # the same organisation registered at the same moment by someone else
                form.credit_code.errors = [_("This organisation is already registered: ask to join "
                                             "it instead.")]
                return render_template("auth/register.html", form=form)
            accounts.tell_owner_of_registration_attempt(form.email.data)
            db.session.commit()
            return _registered()
    return render_template("auth/register.html", form=form)


def _registered():
    flash(_("Registration received. You can log in now; an administrator will verify "
            "your account before you can submit needs or express interest."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account exists for this address, we have sent it a link to reset the "
                "password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = accounts.user_for_reset_token(token)
    if user is None:
        flash(_("This link is invalid, expired or already used. Ask for a new one."), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(user, form.password.data)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Your password has been changed. Please log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_profile(current_user, name=form.name.data, phone=form.phone.data or None,
                                title=form.title.data or None, locale=form.locale.data)
        session["lang"] = current_user.locale
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.profile"))
    return _profile_page(form=form)


def _profile_page(status: int = 200, **forms):
    """The profile page: profile, password and API-token forms, and the token list."""
    context = dict(form=ProfileForm(formdata=None, obj=current_user),
                   password_form=PasswordForm(formdata=None), token_form=TokenForm(formdata=None),
                   new_token=None)
    context.update(forms)
    return render_template("auth/profile.html", tokens=accounts.user_tokens(current_user),
                           **context), status


@bp.post("/profile/password")
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, current=form.current_password.data,
                                     new=form.password.data, keep_session=session.get("sid"),
                                     keep_tokens=form.keep_tokens.data)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            db.session.commit()
            if form.keep_tokens.data:
                flash(_("Your password has been changed. Your other sessions were logged out."), "success")
            else:
                flash(_("Your password has been changed. Your other sessions were logged out and "
                        "your API tokens revoked."), "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(422, password_form=form)


@bp.post("/profile/tokens")
@login_required
def create_token():
    user = current_user._get_current_object()
    require(user, "create_token", user)  # before reading the form: 403 whatever was sent
    form = TokenForm()
    if not form.validate_on_submit():
        return _profile_page(422, token_form=form)
    secret, _row = accounts.create_api_token(user, form.name.data)
    db.session.commit()
    # Shown in this response only: the secret is never stored, not even in the session cookie.
    flash(_("Copy the new token now: it will not be shown again."), "warning")
    return _profile_page(new_token=secret)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    accounts.revoke_api_token(require_id(token_id), by=current_user)
    db.session.commit()
    flash(_("The token has been revoked."), "info")
    return redirect(url_for("auth.profile") + "#tokens")
