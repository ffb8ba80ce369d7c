"""Accounts: registration of organisations and persons, staff accounts, login with
lockout, API tokens. Shared by the pages, the API and the CLI."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from zhongchuang.audit import chain as audit
from zhongchuang.errors import Conflict, DomainError, Forbidden, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import (
    ENTERPRISE_SIZES,
    ORG_KINDS,
    ROLES,
    ApiToken,
    Organization,
    Person,
    User,
    UserRole,
)
from zhongchuang.policy.identity import (
    JIAXING_DISTRICTS,
    IdentityError,
    parse_credit_code,
    parse_id_number,
)
from zhongchuang.runtime import now, setting, vault
from zhongchuang.security import new_token, token_digest
from zhongchuang.uow import operation, unit_of_work

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
COMMON_PASSWORDS = frozenset(
    {"password123", "1234567890", "qwertyuiop", "123456789a", "a123456789", "abc1234567"}
)
# A dummy hash so that a login for an unknown user costs the same as for a known one.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


def password_problems(password: str, username: str = "") -> list[str]:
    """Password rules: at least 10 characters, letters and digits, not the username."""
    problems = []
    if len(password or "") < 10:
        problems.append("密码至少10位。")
    if len(password or "") > 128:
        problems.append("密码不能超过128位。")
    if not re.search(r"[A-Za-z]", password or "") or not re.search(r"\d", password or ""):
        problems.append("密码须同时包含字母和数字。")
    if username and username.lower() in (password or "").lower():
        problems.append("密码不能包含用户名。")
    if (password or "").lower() in COMMON_PASSWORDS:
        problems.append("密码过于常见，请另选。")
    return problems


def _check_username(username: str, errors: dict[str, list[str]]) -> None:
    if not USERNAME_RE.match(username or ""):
        errors.setdefault("username", []).append("用户名为3至64位字母、数字或 _ . @ -。")
    elif db.session.execute(
        sa.select(User.id).where(sa.func.lower(User.username) == username.lower())
    ).first():
        errors.setdefault("username", []).append("该用户名已被使用。")


def _new_user(username: str, password: str, roles: list[str], **kw: object) -> User:
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        active=True,
        session_token=secrets.token_hex(16),
        created_at=now(),
        failed_logins=0,
        **kw,
    )
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    db.session.add(user)
    return user


@dataclass(frozen=True)
class OrganizationRegistration:
    username: str
    password: str
    org_name: str
    credit_code: str
    org_kind: str
    district: str
    enterprise_size: str | None = None
    email: str | None = None
    phone: str | None = None


@operation
def register_organization(reg: OrganizationRegistration) -> User:
    """Register an organisation and its first user (who may later invite colleagues)."""
    errors: dict[str, list[str]] = {}
    _check_username(reg.username, errors)
    if problems := password_problems(reg.password, reg.username):
        errors["password"] = problems
    name = (reg.org_name or "").strip()
    if not 2 <= len(name) <= 200:
        errors["org_name"] = ["请填写单位全称（2至200字）。"]
    if reg.org_kind not in ORG_KINDS:
        errors["org_kind"] = ["请选择单位类型：众创空间运营机构或企业。"]
    if reg.district not in JIAXING_DISTRICTS:
        errors["district"] = ["请选择嘉兴市的县（市、区）。"]
    size = reg.enterprise_size or None
    if size is not None and size not in ENTERPRISE_SIZES:
        errors["enterprise_size"] = ["企业规模须为微型、小型、中型或大型。"]
    if reg.org_kind == "enterprise" and size is None:
        errors["enterprise_size"] = ["企业须选择企业规模。"]
    code = None
    try:
        code = parse_credit_code(reg.credit_code)
    except IdentityError as exc:
        errors["credit_code"] = [exc.message]
    if code is not None:
        if not code.in_jiaxing:
            errors.setdefault("credit_code", []).append(
                f"该代码的登记地（{code.district_code}）不在嘉兴市。"
            )
        elif (
            reg.district in JIAXING_DISTRICTS
            and code.district_code in JIAXING_DISTRICTS
            and code.district_code != reg.district
        ):
            errors.setdefault("district", []).append(
                f"所选县（市、区）与统一社会信用代码中的登记地（{JIAXING_DISTRICTS[code.district_code]}）不一致。"
            )
        if db.session.execute(
            sa.select(Organization.id).where(Organization.credit_code == code.code)
        ).first():
            errors.setdefault("credit_code", []).append("该统一社会信用代码已注册。")
    if errors:
        raise ValidationFailed("注册信息有误，请按提示修改。", errors=errors)
    assert code is not None
    org = Organization(
        name=name,
        credit_code=code.code,
        kind=reg.org_kind,
        district=reg.district,
        enterprise_size=size,
        contact_phone=reg.phone,
        created_at=now(),
    )
    db.session.add(org)
    user = _new_user(
        reg.username,
        reg.password,
        ["applicant"],
        organization=org,
        is_org_owner=True,
        district=reg.district,
        email=reg.email,
        display_name=name,
    )
    db.session.flush()
    audit.record(
        "account.register",
        actor=user,
        role="applicant",
        details={"kind": "organization", "organization_id": org.id, "credit_code": code.code},
    )
    return user


@dataclass(frozen=True)
class PersonRegistration:
    username: str
    password: str
    name: str
    id_number: str
    phone: str
    email: str | None = None


@operation
def register_person(reg: PersonRegistration) -> User:
    errors: dict[str, list[str]] = {}
    _check_username(reg.username, errors)
    if problems := password_problems(reg.password, reg.username):
        errors["password"] = problems
    name = (reg.name or "").strip()
    if not 2 <= len(name) <= 50:
        errors["name"] = ["请填写与身份证一致的姓名（2至50字）。"]
    if not PHONE_RE.match((reg.phone or "").strip()):
        errors["phone"] = ["请填写有效的手机号或固定电话。"]
    ident = None
    try:
        ident = parse_id_number(reg.id_number)
    except IdentityError as exc:
        errors["id_number"] = [exc.message]
    if ident is not None:
        digest = vault().lookup_hash(ident.number)
        if db.session.execute(sa.select(Person.id).where(Person.id_number_hash == digest)).first():
            errors.setdefault("id_number", []).append("该身份证号已注册。")
    if errors:
        raise ValidationFailed("注册信息有误，请按提示修改。", errors=errors)
    assert ident is not None
    person = Person(
        name=name,
        id_number_enc=vault().encrypt(ident.number),
        id_number_hash=vault().lookup_hash(ident.number),
        id_number_masked=ident.masked,
        birth_date=ident.birth_date,
        phone=reg.phone.strip(),
        created_at=now(),
    )
    db.session.add(person)
    user = _new_user(
        reg.username,
        reg.password,
        ["applicant"],
        person=person,
        email=reg.email,
        display_name=name,
    )
    db.session.flush()
    audit.record(
        "account.register",
        actor=user,
        role="applicant",
        details={"kind": "person", "person_id": person.id, "id_number": ident.masked},
    )
    return user


@operation
def create_user(
    username: str,
    password: str,
    roles: list[str],
    district: str | None = None,
    *,
    by: User | None = None,
    display_name: str | None = None,
    email: str | None = None,
    organization_id: int | None = None,
) -> User:
    """A staff account (by an admin or the CLI)."""
    errors: dict[str, list[str]] = {}
    _check_username(username, errors)
    if problems := password_problems(password, username):
        errors["password"] = problems
    bad = [r for r in roles if r not in ROLES]
    if not roles or bad:
        errors["roles"] = [f"角色须为：{', '.join(ROLES)}。"]
    if "county_reviewer" in roles and district not in JIAXING_DISTRICTS:
        errors["district"] = ["县级审核员须绑定一个嘉兴市的县（市、区）代码。"]
    if district is not None and district not in JIAXING_DISTRICTS and district != "330400":
        errors.setdefault("district", []).append("未知的区划代码。")
    if errors:
        raise ValidationFailed("账号信息有误。", errors=errors)
    user = _new_user(
        username,
        password,
        roles,
        district=district,
        display_name=display_name or username,
        email=email,
        organization_id=organization_id,
    )
    db.session.flush()
    audit.record(
        "admin.user_create",
        actor=by,
        role="admin" if by else None,
        actor_name=None if by else "cli",
        details={"user_id": user.id, "username": username, "roles": roles, "district": district},
    )
    return user


class LoginFailed(Forbidden):
    code = "invalid_credentials"
    status = 401


class AccountLocked(Forbidden):
    code = "account_locked"
    status = 429


def authenticate(username: str, password: str, *, via: str = "web") -> User:
    """Check a password; lock the account for a while after repeated failures.

    Unknown user and wrong password give the same answer. A wrong password is counted (and
    the account locked at the threshold) in the unit of work, which keeps the count and then
    refuses the login."""
    with unit_of_work() as work:
        user, refusal = _check_login(username, password, via)
        if refusal is not None:
            work.refuse(refusal)
    if refusal is not None:
        # Only reached inside an outer unit, which then decides; the login is refused.
        raise refusal
    return user


def _check_login(username: str, password: str, via: str) -> tuple[User, DomainError | None]:
    """The user signed in, or the user and the refusal of a wrong password just counted;
    an unknown, locked or deactivated account raises (nothing is written for those)."""
    user = db.session.execute(
        sa.select(User).where(sa.func.lower(User.username) == (username or "").lower())
    ).scalar_one_or_none()
    t = now()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise LoginFailed("用户名或密码错误。")
    if user.locked_until is not None and user.locked_until > t:
        minutes = max(1, int((user.locked_until - t).total_seconds() // 60) + 1)
        raise AccountLocked(f"登录失败次数过多，账号已暂时锁定，请约 {minutes} 分钟后再试。")
    if not check_password_hash(user.password_hash, password or ""):
        return user, _count_failed_login(user, t, via)
    if not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        raise LoginFailed("该账号已停用，请联系管理员。")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = t
    if via == "web":
        # Session rotation: a session id captured before login is worthless after it.
        user.session_token = secrets.token_hex(16)
    audit.record("auth.login", actor=user, details={"via": via})
    return user, None


def _count_failed_login(user: User, t: datetime, via: str) -> DomainError:
    """Count a wrong password (locking the account at the threshold); the refusal to give."""
    user.failed_logins = (user.failed_logins or 0) + 1
    threshold = int(setting("LOCKOUT_THRESHOLD", 5))
    locked = user.failed_logins >= threshold
    if locked:
        user.locked_until = t + timedelta(minutes=int(setting("LOCKOUT_MINUTES", 15)))
        user.failed_logins = 0
    audit.record(
        "auth.login_failed",
        actor=user,
        details={"via": via, "locked": locked},
    )
    if locked:
        return AccountLocked("登录失败次数过多，账号已暂时锁定15分钟。")
    return LoginFailed("用户名或密码错误。")


@operation
def logout(user: User) -> None:
    user.session_token = secrets.token_hex(16)
    audit.record("auth.logout", actor=user)


@operation
def issue_token(user: User) -> tuple[str, datetime]:
    token = new_token()
    expires = now() + timedelta(hours=int(setting("API_TOKEN_HOURS", 12)))
    db.session.add(
        ApiToken(
            user_id=user.id, token_hash=token_digest(token), created_at=now(), expires_at=expires
        )
    )
    return token, expires


# Every signed-in request runs one of these two statements; they are built once (building
# one, with its eager load of the roles, took longer than the database took to answer it).


@functools.cache
def _session_user_statement() -> sa.Select[tuple[User]]:
    return (
        sa.select(User)
        .options(joinedload(User.role_rows))
        .where(User.id == sa.bindparam("user_id", type_=sa.Integer))
    )


@functools.cache
def _token_statement() -> sa.Select[tuple[ApiToken, User]]:
    return (
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .options(joinedload(User.role_rows))
        .where(ApiToken.token_hash == sa.bindparam("token_hash", type_=sa.String))
    )


def user_for_token(token: str) -> tuple[User, ApiToken] | None:
    """The active user a live token stands for (with their roles: one statement)."""
    found = (
        db.session.execute(_token_statement(), {"token_hash": token_digest(token)})
        .unique()
        .one_or_none()
    )
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now() or not user.active:
        return None
    return user, row


def user_for_session(user_id: int, session_token: str) -> User | None:
    """The user a signed session names, while that session is still theirs (the token
    changes at logout everywhere, deactivation and password change); with their roles, in
    one statement — every signed-in page asks."""
    user = (
        db.session.execute(_session_user_statement(), {"user_id": user_id})
        .unique()
        .scalar_one_or_none()
    )
    if user is None or not user.active or user.session_token != session_token:
        return None
    return user


@operation
def revoke_token(token_row: ApiToken) -> None:
    token_row.revoked_at = now()


@operation
def set_user_active(user: User, active: bool, *, by: User | None) -> User:
    """Deactivation ends the user's sessions and tokens at once."""
    _apply_active(user, active, by=by)
    return user


def _apply_active(user: User, active: bool, *, by: User | None) -> None:
    if not active and user.has_role("admin"):
        _refuse_last_admin(user)
    user.active = active
    if not active:
        user.session_token = secrets.token_hex(16)
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now())
        )
    audit.record(
        "admin.user_active",
        actor=by,
        role="admin" if by else None,
        details={"user_id": user.id, "active": active},
    )


def _refuse_last_admin(user: User) -> None:
    admins = db.session.execute(
        sa.select(sa.func.count())
        .select_from(User)
        .join(UserRole)
        .where(UserRole.role == "admin", User.active.is_(True), User.id != user.id)
    ).scalar_one()
    if admins == 0:
        raise Conflict("不能停用或移除最后一名系统管理员。")


@operation
def set_user_roles(
    user: User, roles: list[str] | None, district: str | None, *, by: User | None
) -> User:
    _apply_roles(user, roles, district, by=by)
    return user


@operation
def update_user(
    user: User,
    *,
    roles: list[str] | None = None,
    district: str | None = None,
    active: bool | None = None,
    by: User | None,
) -> User:
    """Roles, district and active together, in one transaction: all or nothing."""
    if roles is not None or district is not None:
        _apply_roles(user, roles, district, by=by)
    if active is not None and active != user.active:
        _apply_active(user, active, by=by)
    return user


def _apply_roles(
    user: User, roles: list[str] | None, district: str | None, *, by: User | None
) -> None:
    errors: dict[str, list[str]] = {}
    new_roles = list(dict.fromkeys(roles)) if roles is not None else user.roles
    if not new_roles or any(r not in ROLES for r in new_roles):
        errors["roles"] = [f"角色须为：{', '.join(ROLES)}。"]
    # ``None`` keeps the district; an empty string clears it.
    new_district = (district or None) if district is not None else user.district
    if "county_reviewer" in new_roles and new_district not in JIAXING_DISTRICTS:
        errors["district"] = ["县级审核员须绑定一个嘉兴市的县（市、区）代码。"]
    elif new_district is not None and new_district not in (*JIAXING_DISTRICTS, "330400"):
        errors["district"] = ["未知的区划代码。"]
    if errors:
        raise ValidationFailed("账号信息有误。", errors=errors)
    if "admin" in user.roles and "admin" not in new_roles:
        _refuse_last_admin(user)
    old = {"roles": user.roles, "district": user.district}
    user.role_rows = [UserRole(role=r) for r in new_roles]
    user.district = new_district
    user.session_token = secrets.token_hex(16)
    audit.record(
        "admin.user_roles",
        actor=by,
        role="admin" if by else None,
        details={
            "user_id": user.id,
            "from": old,
            "to": {"roles": new_roles, "district": new_district},
        },
    )
