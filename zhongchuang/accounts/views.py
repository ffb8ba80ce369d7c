"""Pages: login, logout, registration, language switch; the Flask-Login user loader."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from zhongchuang.accounts import operations as accounts
from zhongchuang.accounts.forms import LoginForm, LogoutForm, OrganizationForm, PersonForm
from zhongchuang.errors import DomainError, ValidationFailed
from zhongchuang.extensions import limiter
from zhongchuang.models import User
from zhongchuang.web.i18n import gettext as _

bp = Blueprint("auth", __name__, template_folder="templates")


def init_login(app: Flask, manager: LoginManager) -> None:
    manager.init_app(app)
    manager.login_view = "auth.login"
    manager.login_message = "请先登录。"
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(value: str) -> User | None:
        uid, _sep, token = (value or "").partition(":")
        if not uid.isdigit() or not token:
            return None
        return accounts.user_for_session(int(uid), token)


def start_session(user: User) -> None:
    """Sign ``user`` in on a fresh session: nothing from before the login (a CSRF token an
    attacker may have planted with the cookie) is carried into the signed-in session."""
    session.clear()
    login_user(user, remember=False)


def safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def apply_field_errors(form, exc: ValidationFailed) -> None:  # noqa: ANN001
    """Show a service's field errors next to the form's fields."""
    for name, messages in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + list(messages)
        else:
            for m in messages:
                flash(m, "error")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data, form.password.data)
        except DomainError as exc:
            form.password.errors = [exc.message]
            return render_template("auth/login.html", form=form), exc.status
        start_session(user)
        flash(_("登录成功，欢迎 %(name)s。", name=user.display_name or user.username), "success")
        return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():  # noqa: ANN201
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        accounts.logout(current_user._get_current_object())
        logout_user()
        flash(_("您已安全退出。"), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/logout.html", form=form)


@bp.route("/register", methods=["GET"])
def register():  # noqa: ANN201
    return render_template("auth/register.html")


@bp.route("/register/organization", methods=["GET", "POST"])
def register_organization():  # noqa: ANN201
    form = OrganizationForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_organization(
                accounts.OrganizationRegistration(
                    username=form.username.data.strip(),
                    password=form.password.data,
                    org_name=form.org_name.data,
                    credit_code=form.credit_code.data,
                    org_kind=form.org_kind.data,
                    district=form.district.data,
                    enterprise_size=form.enterprise_size.data or None,
                    email=form.email.data or None,
                    phone=form.phone.data or None,
                )
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
            return render_template("auth/register_organization.html", form=form), 422
        start_session(user)
        flash(_("注册成功。"), "success")
        return redirect(url_for("main.home"))
    status = 422 if form.errors else 200
    return render_template("auth/register_organization.html", form=form), status


@bp.route("/register/person", methods=["GET", "POST"])
def register_person():  # noqa: ANN201
    form = PersonForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_person(
                accounts.PersonRegistration(
                    username=form.username.data.strip(),
                    password=form.password.data,
                    name=form.name.data,
                    id_number=form.id_number.data,
                    phone=form.phone.data,
                    email=form.email.data or None,
                )
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
            return render_template("auth/register_person.html", form=form), 422
        start_session(user)
        flash(_("注册成功。"), "success")
        return redirect(url_for("main.home"))
    status = 422 if form.errors else 200
    return render_template("auth/register_person.html", form=form), status


@bp.route("/lang/<code>")
def set_language(code: str):  # noqa: ANN201
    target = safe_next(request.args.get("next")) or url_for("main.home")
    resp = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        resp.set_cookie(
            "lang",
            code,
            max_age=365 * 86400,
            samesite="Lax",
            httponly=True,
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return resp
