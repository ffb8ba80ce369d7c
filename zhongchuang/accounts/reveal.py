"""Revealing a full identity number (查看完整身份证号): for the reviewers who must check it.

Everywhere else the number is masked. A county reviewer (of the case's district, once the
case is submitted) or a city reviewer may ask to see the applicant's full 公民身份号码 on a
case they can see; each time, an audit event ``pii.reveal`` records who looked at whose
number on which case. The number is returned for that one answer and never stored
elsewhere; the audit event keeps only the masked form.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhongchuang.audit import chain as audit
from zhongchuang.cases import engine as cases
from zhongchuang.errors import Forbidden, NotFound
from zhongchuang.models import Application, User
from zhongchuang.runtime import vault
from zhongchuang.uow import operation

#: The roles whose work needs the full number (核验身份).
REVEAL_ROLES = ("county_reviewer", "city_reviewer")


@dataclass(frozen=True)
class RevealedIdentity:
    application_id: int
    person_id: int
    name: str
    id_number: str
    id_number_masked: str


def reveal_role(user: User, case: Application) -> str | None:
    """The role in which ``user`` may see the full number on ``case``, else None.

    City reviewers: any case. County reviewers: submitted cases of their own district
    (the same bounds as their queue)."""
    if user.has_role("city_reviewer"):
        return "city_reviewer"
    if (
        user.has_role("county_reviewer")
        and user.district
        and case.district == user.district
        and case.state != "draft"
    ):
        return "county_reviewer"
    return None


def may_reveal(user: User, case: Application) -> bool:
    """Whether the page may offer the button (the case has a person and the role fits)."""
    return case.person_id is not None and reveal_role(user, case) is not None


@operation
def reveal_identity(user: User, case_id: int) -> RevealedIdentity:
    """The full identity number of the case's applicant; writes ``pii.reveal``.

    A case the user cannot see is NotFound (404, as everywhere); one they see but whose
    numbers their role may not read is Forbidden (403)."""
    case = cases.get_visible(user, case_id)
    role = reveal_role(user, case)
    if role is None:
        raise Forbidden("您的角色无权查看完整的公民身份号码。")
    person = case.person
    if person is None or not person.id_number_enc:
        raise NotFound("该申报的申请人不是个人，没有公民身份号码。")
    number = vault().decrypt(person.id_number_enc)
    audit.record(
        "pii.reveal",
        actor=user,
        role=role,
        application_id=case.id,
        details={
            "person_id": person.id,
            "name": person.name,
            "id_number_masked": person.id_number_masked,
        },
    )
    return RevealedIdentity(
        application_id=case.id,
        person_id=person.id,
        name=person.name,
        id_number=number,
        id_number_masked=person.id_number_masked,
    )
