"""Profiles of persons and organisations (个人与单位信息).

Contact data (phone, e-mail, address) is the account holder's to change. Identity data —
a person's name and 公民身份号码, an organisation's name and 统一社会信用代码 — changes
only through a correction by an admin, with a reason, re-validated and audited.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from zhongchuang.accounts.members import EMAIL_RE
from zhongchuang.accounts.operations import PHONE_RE
from zhongchuang.audit import chain as audit
from zhongchuang.errors import Forbidden, NotFound, ValidationFailed
from zhongchuang.extensions import db
from zhongchuang.models import BenefitClaim, Organization, Person, User
from zhongchuang.policy.identity import (
    JIAXING_DISTRICTS,
    CreditCode,
    IdentityError,
    parse_credit_code,
    parse_id_number,
)
from zhongchuang.runtime import vault
from zhongchuang.uow import operation


@dataclass(frozen=True)
class Contact:
    phone: str | None
    email: str | None
    address: str | None


def editable_contact_fields(user: User) -> tuple[str, ...]:
    """Which contact fields this account holder may change: a person all three, an
    organisation's registrant all three (for the organisation), anyone else the e-mail."""
    if user.person_id is not None or (user.organization_id is not None and user.is_org_owner):
        return ("phone", "email", "address")
    return ("email",)


def current_contact(user: User) -> Contact:
    if user.person is not None:
        return Contact(user.person.phone, user.email, user.person.address)
    if user.organization is not None:
        org = user.organization
        return Contact(org.contact_phone, user.email, org.address)
    return Contact(None, user.email, None)


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


@operation
def update_contact(user: User, contact: Contact) -> User:
    allowed = editable_contact_fields(user)
    phone, email, address = _clean(contact.phone), _clean(contact.email), _clean(contact.address)
    errors: dict[str, list[str]] = {}
    if "phone" in allowed:
        if phone is None and user.person_id is not None:
            errors["phone"] = ["请填写联系电话。"]
        elif phone is not None and not PHONE_RE.match(phone):
            errors["phone"] = ["请填写有效的手机号或固定电话。"]
    if email is not None and (len(email) > 200 or not EMAIL_RE.match(email)):
        errors["email"] = ["请填写有效的电子邮箱。"]
    if address is not None and len(address) > 300:
        errors["address"] = ["地址不能超过300字。"]
    if errors:
        raise ValidationFailed("联系信息有误，请按提示修改。", errors=errors)
    before = current_contact(user)
    changed = []
    if user.email != email:
        user.email = email
        changed.append("email")
    if "phone" in allowed:
        if user.person is not None:
            holder: Person | Organization = user.person
            phone_attr = "phone"
        else:
            assert user.organization is not None
            holder = user.organization
            phone_attr = "contact_phone"
        if before.phone != phone:
            setattr(holder, phone_attr, phone)
            changed.append("phone")
        if before.address != address:
            holder.address = address
            changed.append("address")
    if changed:
        audit.record(
            "account.contact_update",
            actor=user,
            details={
                "user_id": user.id,
                "person_id": user.person_id,
                "organization_id": user.organization_id if "phone" in allowed else None,
                "fields": changed,
            },
        )
    return user


# --- identity corrections by an admin ---------------------------------------------------


def _require_admin(user: User) -> None:
    if not user.has_role("admin"):
        raise Forbidden("只有系统管理员可以更正身份信息。")


def _check_reason(reason: str | None, errors: dict[str, list[str]]) -> str:
    text = (reason or "").strip()
    if not 4 <= len(text) <= 500:
        errors["reason"] = ["请写明更正的理由和依据（4至500字），例如所核对的证件。"]
    return text


@operation
def correct_person(
    admin: User, person_id: int, *, name: str, id_number: str | None, reason: str
) -> Person:
    """Correct a person's name and/or identity number; a blank number keeps the old one.
    The number is re-validated, re-encrypted and its look-up hash replaced — also on the
    person's benefit claims, so that duplicate detection keeps following them."""
    _require_admin(admin)
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound()
    errors: dict[str, list[str]] = {}
    why = _check_reason(reason, errors)
    new_name = (name or "").strip()
    if not 2 <= len(new_name) <= 50:
        errors["name"] = ["请填写与身份证一致的姓名（2至50字）。"]
    ident = None
    if (id_number or "").strip():
        try:
            ident = parse_id_number(id_number or "")
        except IdentityError as exc:
            errors["id_number"] = [exc.message]
    new_hash = vault().lookup_hash(ident.number) if ident else person.id_number_hash
    if ident is not None and new_hash != person.id_number_hash:
        taken = db.session.execute(
            sa.select(Person.id).where(Person.id_number_hash == new_hash, Person.id != person.id)
        ).first()
        if taken:
            errors.setdefault("id_number", []).append("该身份证号已属于另一名已注册的个人。")
    if not errors and new_name == person.name and new_hash == person.id_number_hash:
        errors["name"] = ["姓名和身份证号都与原来相同，没有需要更正的内容。"]
    if errors:
        raise ValidationFailed("更正信息有误，请按提示修改。", errors=errors)
    before = {"name": person.name, "id_number": person.id_number_masked}
    old_hash = person.id_number_hash
    if person.user is not None and person.user.display_name == person.name:
        person.user.display_name = new_name
    person.name = new_name
    if ident is not None:
        person.id_number_enc = vault().encrypt(ident.number)
        person.id_number_hash = new_hash
        person.id_number_masked = ident.masked
        person.birth_date = ident.birth_date
        if new_hash != old_hash:
            db.session.execute(
                sa.update(BenefitClaim)
                .where(BenefitClaim.subject == old_hash)
                .values(subject=new_hash)
            )
    after = {"name": person.name, "id_number": person.id_number_masked}
    audit.record(
        "admin.identity_correction",
        actor=admin,
        role="admin",
        reason=why,
        details={"person_id": person.id, "from": before, "to": after},
    )
    return person


def _corrected_credit_code(
    credit_code: str | None, org: Organization, errors: dict[str, list[str]]
) -> CreditCode | None:
    """The new credit code, if one is given and valid for this organisation (errors noted)."""
    if not (credit_code or "").strip():
        return None
    try:
        code = parse_credit_code(credit_code or "")
    except IdentityError as exc:
        errors["credit_code"] = [exc.message]
        return None
    if not code.in_jiaxing:
        errors.setdefault("credit_code", []).append(
            f"该代码的登记地（{code.district_code}）不在嘉兴市。"
        )
    elif db.session.execute(
        sa.select(Organization.id).where(
            Organization.credit_code == code.code, Organization.id != org.id
        )
    ).first():
        errors.setdefault("credit_code", []).append("该统一社会信用代码已属于另一家单位。")
    return code


@operation
def correct_organization(
    admin: User, organization_id: int, *, name: str, credit_code: str | None, reason: str
) -> Organization:
    """Correct an organisation's name and/or credit code; a blank code keeps the old one.
    The district follows the code's registration district, as at registration."""
    _require_admin(admin)
    org = db.session.get(Organization, organization_id)
    if org is None:
        raise NotFound()
    errors: dict[str, list[str]] = {}
    why = _check_reason(reason, errors)
    new_name = (name or "").strip()
    if not 2 <= len(new_name) <= 200:
        errors["name"] = ["请填写单位全称（2至200字）。"]
    code = _corrected_credit_code(credit_code, org, errors)
    if not errors and new_name == org.name and (code is None or code.code == org.credit_code):
        errors["name"] = ["单位名称和统一社会信用代码都与原来相同，没有需要更正的内容。"]
    if errors:
        raise ValidationFailed("更正信息有误，请按提示修改。", errors=errors)
    before = {"name": org.name, "credit_code": org.credit_code, "district": org.district}
    old_code = org.credit_code
    org.name = new_name
    if code is not None and code.code != old_code:
        org.credit_code = code.code
        db.session.execute(
            sa.update(BenefitClaim)
            .where(BenefitClaim.subject == old_code)
            .values(subject=code.code)
        )
        if code.district_code in JIAXING_DISTRICTS and code.district_code != org.district:
            org.district = code.district_code
            for member in org.members:
                if member.has_role("applicant") and not member.is_staff:
                    member.district = org.district
    for member in org.members:
        if member.is_org_owner and member.display_name == before["name"]:
            member.display_name = new_name
    after = {"name": org.name, "credit_code": org.credit_code, "district": org.district}
    audit.record(
        "admin.identity_correction",
        actor=admin,
        role="admin",
        reason=why,
        details={"organization_id": org.id, "from": before, "to": after},
    )
    return org
