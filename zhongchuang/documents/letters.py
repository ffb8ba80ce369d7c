"""决定书 — decision letters (approval, rejection, return for amendment) for one audited
decision of a case, worded by :func:`zhongchuang.workflow.letters.build_letter`, shown as
HTML and drawn as PDF by :mod:`zhongchuang.documents.pdf`.

A letter is built from the audit event of the decision (its date, reason and cited
articles and rules) and the catalogue's article texts; nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from zhongchuang.cases import engine as cases
from zhongchuang.clock import SHANGHAI
from zhongchuang.documents.pdf import PdfDocument, PdfSection, render
from zhongchuang.errors import NotFound
from zhongchuang.extensions import db
from zhongchuang.models import Application, Article, AuditEvent, MakerSpace, User
from zhongchuang.policy.identity import district_name
from zhongchuang.runtime import setting
from zhongchuang.workflow.letters import (
    LETTER_FOR_ACTION,
    DecisionLetter,
    RuleLine,
    build_letter,
    chinese_date,
)


@dataclass
class LetterView:
    case: Application
    event: AuditEvent
    letter: DecisionLetter
    policy_id: int


def issuer_for(case: Application, role: str | None) -> str:
    """The issuing authority as printed on the letter (configurable per deployment)."""
    if role == "county_reviewer":
        template = setting("LETTER_ISSUER_COUNTY") or "嘉兴市{district}众创空间政策主管部门"
        return template.format(district=district_name(case.district))
    return setting("LETTER_ISSUER_CITY") or "嘉兴市众创空间政策主管部门"


def _rules(case: Application, cited_rules: list[str]) -> list[RuleLine]:
    lines = [x for x in (case.explanation or []) if isinstance(x, dict)]
    if cited_rules:
        chosen = [x for x in lines if str(x.get("rule")) in cited_rules]
        lines = chosen or lines
    return [
        RuleLine(
            rule=str(x.get("rule")),
            article=x.get("article"),
            passed=bool(x.get("passed")),
            message=str(x.get("message")),
        )
        for x in lines
    ]


def letter_for(user: User, case_id: int, event_id: int) -> LetterView:
    """The letter of one decision of a case the user may see; NotFound otherwise."""
    case = cases.get_visible(user, case_id)
    event = db.session.get(AuditEvent, event_id)
    if (
        event is None
        or event.application_id != case.id
        or event.kind != "case.action"
        or event.action not in LETTER_FOR_ACTION
    ):
        raise NotFound("未找到该决定书。")
    kind = LETTER_FOR_ACTION[event.action]
    program = case.program
    policy = program.policy
    texts = dict(
        db.session.execute(
            sa.select(Article.path, Article.text).where(Article.policy_id == policy.id)
        ).all()
    )
    cited = [a for a in (event.articles or []) if not a.startswith("rule:")]
    cited_rules = [a[5:] for a in (event.articles or []) if a.startswith("rule:")]
    if not cited:
        cited = list(program.articles)
    money = (program.definition.get("amount") or {}).get("kind", "none") != "none"
    amount = case.approved_amount if kind == "approval" and money else None
    if kind != "approval" and not (event.reason or "").strip():
        raise NotFound("该决定没有记录理由，无法生成决定书。")
    details = event.details or {}
    items = [
        (str(i.get("label") or i.get("target")), str(i.get("message")))
        for i in details.get("items") or []
        if isinstance(i, dict)
    ]
    due = details.get("correction_due_on")
    space = _recognised_space(case) if kind == "approval" else None
    letter = build_letter(
        kind,
        case_number=case.number,
        applicant=case.applicant_name,
        program_name=program.name,
        policy_title=policy.title,
        policy_doc_number=policy.doc_number,
        article_texts=texts,
        cited=cited,
        issued_on=event.at.astimezone(SHANGHAI).date(),
        issuer=issuer_for(case, event.actor_role),
        # 不予受理 decides on acceptance, not on eligibility: no rule lines.
        rules=[] if kind == "decline" else _rules(case, cited_rules),
        amount=amount,
        reason=event.reason,
        opinion=details.get("opinion"),
        items=items,
        due_on=date.fromisoformat(due) if isinstance(due, str) else None,
        lapses=bool((case.correction or {}).get("lapses")) if kind == "return" else False,
        recognition=program.outcome == "recognition",
        certificate_number=space.certificate_number if space is not None else None,
    )
    return LetterView(case, event, letter, policy.id)


def _recognised_space(case: Application) -> MakerSpace | None:
    return db.session.execute(
        sa.select(MakerSpace).where(MakerSpace.application_id == case.id)
    ).scalar_one_or_none()


def letter_document(view: LetterView) -> PdfDocument:
    letter = view.letter
    sections = [
        PdfSection(
            rows=[
                ("申报编号", letter.case_number),
                ("申请人", letter.applicant),
                ("扶持事项", letter.program_name),
            ]
        ),
        PdfSection(paragraphs=[letter.decision_text]),
    ]
    if letter.items:
        sections.append(
            PdfSection(
                "需补正事项",
                items=[f"{label}：{message}" for label, message in letter.items],
            )
        )
    if letter.due_on is not None:
        sections.append(PdfSection(rows=[("补正期限", chinese_date(letter.due_on))]))
    if letter.certificate_number:
        sections.append(PdfSection(rows=[("认定证书编号", letter.certificate_number)]))
    if letter.opinion:
        sections.append(PdfSection("审核意见", paragraphs=[letter.opinion]))
    if letter.amount is not None:
        sections.append(
            PdfSection(
                rows=[
                    ("核定金额", f"{letter.amount:,.2f} 元"),
                    ("大写", letter.amount_in_words or ""),
                ]
            )
        )
    if letter.articles:
        sections.append(
            PdfSection(
                "所依据的条款",
                paragraphs=[f"{a.path}　{a.text}" for a in letter.articles],
            )
        )
    if letter.rules:
        sections.append(
            PdfSection(
                "资格审查规则",
                items=[
                    ("【符合】" if r.passed else "【不符合】")
                    + r.message
                    + (
                        f"（依据：{r.article}）"
                        if r.article and f"（依据：{r.article}）" not in r.message
                        else ""
                    )
                    for r in letter.rules
                ],
            )
        )
    if letter.remedy:
        sections.append(PdfSection(paragraphs=[letter.remedy]))
    return PdfDocument(
        title=letter.title,
        subtitle=letter.policy,
        sections=sections,
        closing=[letter.issuer, letter.issued_on_text],
    )


def letter_pdf(view: LetterView) -> bytes:
    return render(letter_document(view))
