"""申报工作台 — what an applicant's home page shows: their cases with the next step and the
dates that matter, and the programs they may apply for today (an open batch, the right
kind of applicant), each with the articles it rests on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from zhongchuang.cases import engine as cases
from zhongchuang.cases.eligibility import applicant_kind_allowed, applicant_may_apply
from zhongchuang.errors import BatchClosed, NotFound
from zhongchuang.extensions import db
from zhongchuang.models import Application, Article, Batch, Program, User
from zhongchuang.runtime import today
from zhongchuang.workflow.machine import state_label

#: 下一步 — what happens next, from the applicant's side, per state.
NEXT_STEP: dict[str, str] = {
    "draft": "完善申报信息、上传材料后提交申报",
    "returned": "按退回理由修改、补正材料后重新提交",
    "submitted": "等待县（市、区）审核部门受理",
    "accepted": "已受理，等待初审",
    "county_approved": "初审通过，等待市级复审",
    "expert_reviewed": "专家评审完成，等待市级复审",
    "city_approved": "复审通过，等待公示",
    "in_notice": "公示中，公示期满无异议后核准",
    "approved": "已核准，等待拨付资金",
    "disbursed": "资金已拨付，办理结束",
    "rejected": "不予支持，办理结束（可查看决定书）",
    "withdrawn": "已撤回，办理结束",
}
NEXT_STEP_EXPERT = {"county_approved": "初审通过，等待专家评审"}
NEXT_STEP["declined"] = "不予受理，办理结束（可查看决定书）"
#: A recognition ends at 已认定, with its certificate: no money follows.
NEXT_STEP_RECOGNITION = {
    "in_notice": "公示中，公示期满无异议后予以认定",
    "approved": "已认定，办理结束（可查看认定决定与证书编号）",
}


@dataclass
class CaseRow:
    case: Application
    state_label: str
    next_step: str
    due_label: str | None = None
    due_on: date | None = None
    overdue: bool = False


@dataclass
class ArticleRef:
    path: str
    title: str | None


@dataclass
class ProgramOffer:
    program: Program
    batch: Batch
    policy_id: int
    articles: list[ArticleRef] = field(default_factory=list)


def my_cases(user: User) -> list[CaseRow]:
    """The user's own cases (or their organisation's), newest first."""
    rows = db.session.execute(
        sa.select(Application)
        .where(cases.visibility_filter(user))
        .order_by(Application.updated_at.desc(), Application.id.desc())
        .limit(500)
    ).scalars()
    t = today()
    out = []
    for case in rows:
        step = NEXT_STEP.get(case.state, "")
        if case.program.expert_review:
            step = NEXT_STEP_EXPERT.get(case.state, step)
        if case.program.outcome == "recognition":
            step = NEXT_STEP_RECOGNITION.get(case.state, step)
        row = CaseRow(case, state_label(case.state, workflow_id=case.workflow_id), step)
        if case.state == "draft" and case.batch is not None:
            row.due_label, row.due_on = "申报截止", case.batch.closes_on
            row.overdue = case.batch.closes_on < t
        elif case.due_on is not None:
            row.due_label, row.due_on = "办理时限至", case.due_on
            row.overdue = case.due_on < t
        out.append(row)
    return out


def article_refs(program: Program) -> list[ArticleRef]:
    titles = dict(
        db.session.execute(
            sa.select(Article.path, Article.title).where(
                Article.policy_id == program.policy_id, Article.path.in_(program.articles)
            )
        ).all()
    )
    return [ArticleRef(path, titles.get(path)) for path in program.articles]


def offers(user: User) -> list[ProgramOffer]:
    """The programs this applicant may apply for today."""
    t = today()
    out = []
    for program in db.session.execute(sa.select(Program).order_by(Program.id)).scalars():
        ok, _why = applicant_kind_allowed(user, program)
        if not ok:
            continue
        batch = cases.open_batch_for(program, t)
        if batch is None:
            continue
        out.append(ProgramOffer(program, batch, program.policy_id, article_refs(program)))
    return out


def program_by_code(code: str) -> Program:
    program = db.session.execute(
        sa.select(Program).where(Program.code == code)
    ).scalar_one_or_none()
    if program is None:
        raise NotFound("没有这个扶持事项。")
    return program


def check_may_apply(user: User, program: Program) -> Batch:
    """The open batch a new application goes to; Forbidden (wrong kind of applicant) or
    BatchClosed (no open batch today) otherwise."""
    applicant_may_apply(user, program)
    batch = cases.open_batch_for(program, today())
    if batch is None:
        raise BatchClosed(f"“{program.name}”当前没有开放的申报批次，暂不能申报。")
    return batch
