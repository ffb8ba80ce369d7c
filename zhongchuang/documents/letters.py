"""决定书 — decision letters (approval, rejection, return for amendment) for one audited
decision of a case, worded by :func:`zhongchuang.workflow.letters.build_letter`, shown as
HTML and drawn as PDF by :mod:`zhongchuang.documents.pdf`.

A letter is built from the audit event of the decision (its date, reason and cited
articles and rules) and the catalogue's article texts; nothing is stored twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from zhongchuang.cases.visibility import get_visible
from zhongchuang.clock import SHANGHAI
from zhongchuang.documents import issuers
from zhongchuang.documents.pdf import PdfDocument, PdfSection, render
from zhongchuang.errors import NotFound
from zhongchuang.extensions import db
from zhongchuang.models import Application, Article, AuditEvent, Issuer, MakerSpace, User
from zhongchuang.workflow.letters import (
    LETTER_FOR_ACTION,
    CitedArticle,
    DecisionLetter,
    LetterKind,
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


def _rules(case: Application, cited_rules: list[str], kind: LetterKind) -> list[RuleLine]:
    """The rule lines a letter lists: a rejection only the failed ones (those cited, else
    every failed rule); 不予受理 and the notices none."""
    if kind not in ("approval", "rejection", "return"):
        return []
    lines = [x for x in (case.explanation or []) if isinstance(x, dict)]
    if cited_rules:
        chosen = [x for x in lines if str(x.get("rule")) in cited_rules]
        lines = chosen or lines
    if kind == "rejection":  # only what failed; a rejection on the facts states its reason
        lines = [x for x in lines if not x.get("passed")]
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
    case = get_visible(user, case_id)
    event = db.session.get(AuditEvent, event_id)
    if (
        event is None
        or event.application_id != case.id
        or event.kind != "case.action"
        or event.action not in LETTER_FOR_ACTION
    ):
        raise NotFound("未找到该决定书。")
    return build_view(case, event, LETTER_FOR_ACTION[event.action])


def build_view(
    case: Application,
    event: AuditEvent,
    kind: LetterKind,
    issuer: Issuer | None = None,
    on: date | None = None,
) -> LetterView:
    """The letter of kind ``kind`` for the decision ``event`` of ``case``, as ``issuer``
    (default: the office of the decision's level) issues it on ``on`` (default: the day
    of the decision; a reissue is dated the day it is reissued)."""
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
    if kind in ("rejection", "return", "decline") and not (event.reason or "").strip():
        raise NotFound("该决定没有记录理由，无法生成决定书。")
    office = issuer or issuers.issuer_of(case, event.actor_role)
    details = event.details or {}
    items = [
        (str(i.get("label") or i.get("target")), str(i.get("message")))
        for i in details.get("items") or []
        if isinstance(i, dict)
    ]
    due = details.get("correction_due_on")
    space = recognised_space(case) if kind in ("approval", "certificate") else None
    letter = build_letter(
        kind,
        case_number=case.number,
        applicant=case.applicant_name,
        program_name=program.name,
        policy_title=policy.title,
        policy_doc_number=policy.doc_number,
        article_texts=texts,
        cited=cited,
        issued_on=on or event.at.astimezone(SHANGHAI).date(),
        issuer=office.name,
        rules=_rules(case, cited_rules, kind),
        amount=amount,
        reason=event.reason,
        opinion=details.get("opinion"),
        items=items,
        due_on=date.fromisoformat(due) if isinstance(due, str) else None,
        lapses=bool((case.correction or {}).get("lapses")) if kind == "return" else False,
        recognition=program.outcome == "recognition",
        certificate_number=space.certificate_number if space is not None else None,
        query_code=case.query_code if kind == "receipt" else None,
        promised_on=case.due_on if kind == "receipt" else None,
        remedy_bodies=(office.reconsideration_body, office.litigation_court),
        subject=_space_subject(case, space) if kind == "certificate" and space else None,
    )
    return LetterView(case, event, letter, policy.id)


def _space_subject(case: Application, space: MakerSpace) -> str:
    where = f"（{space.address}）" if space.address else ""
    return f"{case.applicant_name}运营的“{space.name}”{where}"


def recognised_space(case: Application) -> MakerSpace | None:
    return db.session.execute(
        sa.select(MakerSpace).where(MakerSpace.application_id == case.id)
    ).scalar_one_or_none()


#: An official document's body size (pt), in the spirit of GB/T 9704's 3号 for letters.
BODY_SIZE = 14.0


@dataclass(frozen=True)
class Issuance:
    """What makes a letter a 文书: its number, where it is verified, who seals it."""

    number: str
    verify_url: str
    issuer_name: str


_CITATION = re.compile(r"（依据：[^）]*）")


def _rule_line(r: RuleLine) -> str:
    """One rule, its article once: a citation the message carries is replaced by the
    rule's own, so that no line reads “（依据：四(一)）（依据：四(一)）”."""
    message = _CITATION.sub("", r.message).strip().rstrip("。")
    cite = f"（依据：{r.article}）" if r.article else ""
    return ("" if r.passed else "不符合：") + f"{message}{cite}。"


def _article_line(a: CitedArticle) -> str:
    """An article with its path once (a text that begins with its own number keeps it)."""
    text = " ".join(a.text.split())
    head, _sep, rest = a.path.partition("(")
    if text.startswith((a.path, f"{head}、")):
        return text  # 三、大力发展…
    if rest and text.startswith((f"({rest}", f"（{rest.rstrip(')')}）")):
        return f"{head}　{text}"  # 四　(一)鼓励大学生创业…
    return f"{a.path}　{text}"


def letter_document(view: LetterView, issuance: Issuance | None = None) -> PdfDocument:
    """The letter as a document: a draft for the page, a 文书 when ``issuance`` says."""
    letter = view.letter
    if letter.kind == "certificate":
        return _certificate_document(view, issuance)
    sections = [
        PdfSection(
            rows=[
                ("申报编号", letter.case_number),
                ("申请人", letter.applicant),
                ("扶持事项", letter.program_name),
            ]
        ),
        PdfSection(paragraphs=[letter.decision_text], indent=True),
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
    if letter.query_code:
        sections.append(PdfSection(rows=[("查询码", letter.query_code)]))
    if letter.promised_on is not None:
        sections.append(PdfSection(rows=[("承诺办结日期", chinese_date(letter.promised_on))]))
    if letter.certificate_number:
        sections.append(PdfSection(rows=[("认定证书编号", letter.certificate_number)]))
    if letter.opinion:
        sections.append(PdfSection("审核意见", paragraphs=[letter.opinion], indent=True))
    if letter.amount is not None:
        sections.append(
            PdfSection(
                rows=[
                    ("核定金额", f"{letter.amount:,.2f} 元"),
                    ("大写", letter.amount_in_words or ""),
                ]
            )
        )
    if letter.articles and letter.kind != "receipt":
        sections.append(
            PdfSection("所依据的条款", paragraphs=[_article_line(a) for a in letter.articles])
        )
    if letter.rules:
        heading = "不符合的条件" if letter.kind == "rejection" else "资格审查规则"
        sections.append(PdfSection(heading, items=[_rule_line(r) for r in letter.rules]))
    if letter.remedy:
        sections.append(PdfSection(paragraphs=[letter.remedy], indent=True))
    return _official(view, sections, issuance)


def _official(
    view: LetterView, sections: list[PdfSection], issuance: Issuance | None
) -> PdfDocument:
    letter = view.letter
    return PdfDocument(
        title=letter.title,
        subtitle=None if issuance else letter.policy,
        sections=sections,
        closing=[letter.issuer, letter.issued_on_text],
        number=issuance.number if issuance else None,
        recipient=letter.applicant,
        qr_url=issuance.verify_url if issuance else None,
        seal=issuance.issuer_name if issuance else None,
        body_size=BODY_SIZE if issuance else 10.5,
    )


def _certificate_document(view: LetterView, issuance: Issuance | None) -> PdfDocument:
    letter = view.letter
    space = recognised_space(view.case)
    rows = [("证书编号", letter.certificate_number or "—")]
    if space is not None:
        rows += [
            ("众创空间", space.name),
            ("地址", space.address or "—"),
            ("运营机构", view.case.applicant_name),
            ("认定日期", chinese_date(space.recognised_on)),
        ]
    doc = _official(
        view,
        [PdfSection(paragraphs=[letter.decision_text], indent=True), PdfSection(rows=rows)],
        issuance,
    )
    doc.recipient = None
    return doc


def letter_pdf(view: LetterView) -> bytes:
    return render(letter_document(view))
