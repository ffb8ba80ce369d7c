"""审批流程状态机 — the case workflows, declared as data and built with ``transitions``.

Each workflow definition has a versioned id (``standard-v1``, ``expert-v1``); a case keeps
the id it started with. The topology (which action leads from which state to which) is a
``transitions.Machine`` per definition, built model-less from :data:`TRANSITIONS`; who may
act and on which conditions is :mod:`zhongchuang.workflow.guards`.
No Flask, no models: plain strings in and out.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Final, Literal

from transitions import Machine

from zhongchuang.errors import InvalidTransition

Lang = Literal["zh", "en"]
BudgetEffect = Literal["reserve", "release", "consume"]

#: 状态 — every state with its Chinese and English label, in display order.
STATES: Final[dict[str, tuple[str, str]]] = {
    "draft": ("草稿", "Draft"),
    "submitted": ("已提交", "Submitted"),
    "returned": ("退回补正", "Returned for amendment"),
    "accepted": ("已受理", "Accepted"),
    "county_approved": ("初审通过", "Approved at first instance"),
    "expert_reviewed": ("专家评审完成", "Expert review completed"),
    "city_approved": ("复审通过", "Approved at second instance"),
    "in_notice": ("公示中", "In public notice"),
    "approved": ("核准", "Approved"),
    "disbursed": ("已拨付", "Disbursed"),
    "rejected": ("不予支持", "Rejected"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "declined": ("不予受理", "Declined"),
}
INITIAL_STATE: Final = "draft"
#: 办结 — the states a case ends in, whatever its program; a recognition workflow also
#: ends in ``approved`` (:attr:`Workflow.final_states`).
FINAL_STATES: Final = frozenset({"disbursed", "rejected", "withdrawn", "declined"})
Outcome = Literal["payment", "recognition"]
#: 办理结果 — what a program's case ends with: money paid, or a space recognised.
OUTCOMES: Final[dict[str, tuple[str, str]]] = {
    "payment": ("资金拨付", "Payment"),
    "recognition": ("认定", "Recognition"),
}
#: 申请人可修改 — the states in which the applicant edits the case and its materials.
EDITABLE_STATES: Final = frozenset({"draft", "returned"})
#: States in which a case holds a budget reservation (预留).
RESERVING_STATES: Final = frozenset({"city_approved", "in_notice", "approved"})
#: States in which a case holds money of its batch (reserved or paid).
HOLDING_STATES: Final = ("city_approved", "in_notice", "approved", "disbursed")
#: States in which a case has no approved amount yet.
PRE_APPROVAL_STATES: Final = (
    "draft",
    "submitted",
    "returned",
    "accepted",
    "county_approved",
    "expert_reviewed",
    "withdrawn",
    "declined",
)
#: Pending cases that a changed catalogue may still affect (submitted, before 复审).
PREVIEW_STATES: Final = ("submitted", "returned", "accepted", "county_approved", "expert_reviewed")
#: Cases whose benefit claims count against others' (submitted up to disbursed).
CLAIMING_STATES: Final = (*PREVIEW_STATES, *HOLDING_STATES)

ROLES: Final = ("applicant", "county_reviewer", "expert", "city_reviewer", "finance", "admin")
#: Every role but the applicant's: the staff (工作人员), administrators included.
STAFF_ROLES: Final = tuple(r for r in ROLES if r != "applicant")
#: The staff roles that review cases; the applicant role is the other side.
REVIEWING_ROLES: Final = frozenset({"county_reviewer", "expert", "city_reviewer", "finance"})


def N_(text: str) -> str:
    """Mark a label for translation where it is defined (``gettext_noop``); the pages
    translate it where they show it."""
    return text


#: 角色 — a person's role, as accounts and the audit trail name it.
ROLE_LABELS: Final[dict[str, str]] = {
    "applicant": N_("申请人"),
    "county_reviewer": N_("县级审核员"),
    "expert": N_("评审专家"),
    "city_reviewer": N_("市级审核员"),
    "finance": N_("财政拨付"),
    "admin": N_("系统管理员"),
}
#: 队列 — the staff queues, by the role that works them.
QUEUE_LABELS: Final[dict[str, str]] = {
    "county_reviewer": N_("县级审核"),
    "city_reviewer": N_("市级审核"),
    "expert": N_("专家评审"),
    "finance": N_("财政拨付"),
}
#: 办理部门 — who acted on a case, as the applicant's timeline names them.
OFFICE_LABELS: Final[dict[str, str]] = {
    "applicant": "申请人",
    "county_reviewer": "县（市、区）审核部门",
    "expert": "评审专家",
    "city_reviewer": "市级审核部门",
    "finance": "财政部门",
    "admin": "系统管理员",
}

#: 专家评分 — an expert's score, a whole number in this range (both ends included).
SCORE_MIN: Final = 0
SCORE_MAX: Final = 100

#: 办理环节的作用 — what an action does besides moving the case, as names the one engine
#: (``zhongchuang.cases.effects``) applies in this order: ``prepare`` before the
#: guards judge (it may add facts), ``checks`` after the guards allow (they may still
#: refuse), ``effects`` with the transition, in the same transaction, and ``notify`` whom to
#: tell once it is done. Adding an action is adding a row; a new kind of effect is a new
#: name here and its one applier there.
PREPARATIONS: Final[dict[str, str]] = {
    "judge_eligibility": "按申报日的政策条款判定是否符合条件、计算金额",
    "find_objection": "找到待处理的异议",
    "default_amount": "未另行核定时，核定金额即计算金额",
    "find_missing_attachments": "按申报日找出尚缺的必需材料（与资格条件一并告知）",
}
#: Refusals after the guards; a submission's missing materials are a preparation (above)
#: so that the guards report them together with every other problem (一次性告知).
CHECKS: Final[dict[str, str]] = {}
EFFECTS: Final[dict[str, str]] = {
    "keep_eligibility": "保存判定结果、计算金额与享受记录",
    "assign_query_code": "生成查询码（印在受理通知书上）",
    "clear_correction": "补正已提交，清除待补正事项",
    "record_correction": "记录一次性告知的补正事项与补正期限",
    "release_claims": "释放享受记录（期间、人员不再被占用）",
    "note_first_approver": "记录初审人（复审须由他人办理）",
    "record_score": "记录专家评分与意见",
    "average_scores": "计算专家平均分",
    "reserve_budget": "核定金额并预留预算",
    "release_budget": "释放已预留的预算",
    "uphold_objection": "异议成立，记入裁定",
    "dismiss_objection": "异议不成立，记入裁定",
    "recognise_space": "认定众创空间（认定事项）",
    "consume_budget": "预留转为已拨付",
    "record_payment": "记录支付凭证号与拨付日期",
}
#: 文书 an action issues (``zhongchuang.documents.issuing``), once its audit event is
#: written: numbered from the issuing office's sequence, signed, kept as issued. A kind
#: whose case it does not fit (a certificate for a payment) is skipped by its issuer.
DOCUMENTS: Final[dict[str, str]] = {
    "receipt": "受理通知书（含查询码与承诺办结日期）",
    "decline": "不予受理决定书",
    "correction": "补正告知书（逐项列明需补正事项与补正期限）",
    "approval": "核准决定书（认定事项为认定决定书）",
    "rejection": "不予支持决定书",
    "certificate": "众创空间认定证书（认定事项）",
}
#: Whom an action tells (通知对象).
AUDIENCES: Final = frozenset({"applicant"})
_BUDGET_EFFECTS: Final[dict[str, BudgetEffect]] = {
    "reserve_budget": "reserve",
    "release_budget": "release",
    "consume_budget": "consume",
}

#: 流转 — every action as data. ``sources`` lists the states it may start from; ``dest``
#: ``None`` means the action records something without moving the case (internal
#: transition). ``expert_only`` actions exist only in workflows with expert review, and
#: ``sources_by_workflow`` narrows the sources of one workflow. ``system`` marks actions a
#: scheduled command may also perform. ``prepare``, ``checks``, ``effects`` and ``notify``
#: declare what it does (above).
TRANSITIONS: Final[list[dict[str, Any]]] = [
    {
        "action": "submit",
        "prepare": ["judge_eligibility", "find_missing_attachments"],
        "effects": ["keep_eligibility", "clear_correction"],
        "sources": ["draft", "returned"],
        "dest": "submitted",
        "roles": ["applicant"],
        "label": ("提交申报", "Submit"),
    },
    {
        "action": "withdraw",
        "effects": ["release_claims"],
        "sources": ["submitted", "returned"],
        "dest": "withdrawn",
        "roles": ["applicant"],
        "label": ("撤回申报", "Withdraw"),
    },
    {
        "action": "accept",
        "documents": ["receipt"],
        "effects": ["assign_query_code"],
        "notify": ["applicant"],
        "sources": ["submitted"],
        "dest": "accepted",
        "roles": ["county_reviewer"],
        "label": ("受理", "Accept"),
    },
    {
        "action": "decline",
        "documents": ["decline"],
        "effects": ["release_claims"],
        "notify": ["applicant"],
        "sources": ["submitted"],
        "dest": "declined",
        "roles": ["county_reviewer"],
        "label": ("不予受理", "Decline"),
        "needs_reason": True,
        "needs_articles": True,
        "since": 2,
    },
    {
        "action": "return",
        "documents": ["correction"],
        "effects": ["record_correction"],
        "notify": ["applicant"],
        "sources": ["submitted", "accepted"],
        "dest": "returned",
        "roles": ["county_reviewer"],
        "label": ("退回补正", "Return for amendment"),
        "needs_reason": True,
        "needs_articles": True,
        "needs_items": True,
    },
    {
        "action": "lapse",
        "effects": ["release_claims"],
        "notify": ["applicant"],
        "sources": ["returned"],
        "dest": "withdrawn",
        "roles": [],
        "system": True,
        "label": ("逾期未补正", "Lapse (correction overdue)"),
    },
    {
        "action": "county_approve",
        "effects": ["note_first_approver"],
        "notify": ["applicant"],
        "sources": ["accepted"],
        "dest": "county_approved",
        "roles": ["county_reviewer"],
        "label": ("初审通过", "Approve (first instance)"),
    },
    {
        "action": "county_reject",
        "documents": ["rejection"],
        "effects": ["release_claims"],
        "notify": ["applicant"],
        "sources": ["accepted"],
        "dest": "rejected",
        "roles": ["county_reviewer"],
        "label": ("初审不予支持", "Reject (first instance)"),
        "needs_reason": True,
        "needs_articles": True,
    },
    {
        "action": "expert_score",
        "effects": ["record_score"],
        "sources": ["county_approved"],
        "dest": None,
        "roles": ["expert"],
        "label": ("专家评分", "Score"),
        "requires_score": True,
        "expert_only": True,
    },
    {
        "action": "expert_conclude",
        "effects": ["average_scores"],
        "sources": ["county_approved"],
        "dest": "expert_reviewed",
        "roles": ["city_reviewer"],
        "label": ("完成专家评审", "Conclude expert review"),
        "expert_only": True,
    },
    {
        "action": "city_approve",
        "prepare": ["default_amount"],
        "effects": ["reserve_budget"],
        "notify": ["applicant"],
        "sources": ["county_approved", "expert_reviewed"],
        "sources_by_workflow": {
            "expert-v1": ["expert_reviewed"],
            "expert-v2": ["expert_reviewed"],
            "recognition-v1": ["expert_reviewed"],
        },
        "dest": "city_approved",
        "roles": ["city_reviewer"],
        "label": ("复审通过", "Approve (second instance)"),
        "requires_amount": True,
    },
    {
        "action": "city_reject",
        "documents": ["rejection"],
        "effects": ["release_claims"],
        "notify": ["applicant"],
        "sources": ["county_approved", "expert_reviewed"],
        "dest": "rejected",
        "roles": ["city_reviewer"],
        "label": ("复审不予支持", "Reject (second instance)"),
        "needs_reason": True,
        "needs_articles": True,
    },
    {
        "action": "publish",
        "notify": ["applicant"],
        "sources": ["city_approved"],
        "dest": "in_notice",
        "roles": ["city_reviewer"],
        "label": ("发布公示", "Publish notice"),
    },
    {
        "action": "conclude_notice",
        "documents": ["approval", "certificate"],
        "effects": ["recognise_space"],
        "notify": ["applicant"],
        "sources": ["in_notice"],
        "dest": "approved",
        "roles": ["city_reviewer"],
        "system": True,
        "label": ("公示期满核准", "Conclude notice"),
    },
    {
        "action": "uphold_objection",
        "documents": ["rejection"],
        "prepare": ["find_objection"],
        "effects": ["release_budget", "release_claims", "uphold_objection"],
        "notify": ["applicant"],
        "sources": ["in_notice"],
        "dest": "rejected",
        "roles": ["city_reviewer"],
        "label": ("异议成立", "Uphold objection"),
        "needs_reason": True,
        "needs_articles": True,
    },
    {
        "action": "dismiss_objection",
        "prepare": ["find_objection"],
        "effects": ["dismiss_objection"],
        "sources": ["in_notice"],
        "dest": None,
        "roles": ["city_reviewer"],
        "label": ("异议不成立", "Dismiss objection"),
        "needs_reason": True,
    },
    {
        "action": "disburse",
        "effects": ["consume_budget", "record_payment"],
        "notify": ["applicant"],
        "sources": ["approved"],
        "dest": "disbursed",
        "roles": ["finance"],
        "label": ("拨付", "Disburse"),
        "requires_payment_reference": True,
        "outcome": "payment",
    },
]

#: 审核意见 — the decisions that take the reviewer's opinion (kept in the history).
DECISIONS: Final = frozenset(
    {
        "accept",
        "decline",
        "return",
        "county_approve",
        "county_reject",
        "city_approve",
        "city_reject",
        "uphold_objection",
        "dismiss_objection",
    }
)

#: All action names, in declaration order.
ACTIONS: Final = tuple(t["action"] for t in TRANSITIONS)

#: 办理时限 — default working-day limit per waiting state. Only 受理 (5) comes from the
#: design; the others are placeholders (unconfirmed) the service may override from config.
DEFAULT_TIME_LIMITS: Final[dict[str, int]] = {
    "submitted": 5,
    "accepted": 20,
    "county_approved": 20,
    "expert_reviewed": 10,
    "city_approved": 10,
    "approved": 15,
}

#: 待办角色 — whose queue a case in this state sits in (``None``: nobody's).
_WAITING_ROLE: Final[dict[str, str | None]] = {
    "draft": "applicant",
    "returned": "applicant",
    "submitted": "county_reviewer",
    "accepted": "county_reviewer",
    "county_approved": "city_reviewer",
    "expert_reviewed": "city_reviewer",
    "city_approved": "city_reviewer",
    "in_notice": "city_reviewer",
    "approved": "finance",
    "disbursed": None,
    "rejected": None,
    "withdrawn": None,
    "declined": None,
}


@dataclass(frozen=True)
class ActionSpec:
    """One action (操作) of one workflow, parsed from :data:`TRANSITIONS`."""

    action: str
    sources: frozenset[str]
    dest: str | None
    roles: frozenset[str]
    label_zh: str
    label_en: str
    needs_reason: bool = False
    needs_articles: bool = False
    requires_amount: bool = False
    requires_score: bool = False
    requires_payment_reference: bool = False
    #: 一次性告知: the action carries the list of every item to correct (at least one).
    needs_items: bool = False
    system: bool = False
    prepare: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    notify: frozenset[str] = frozenset()
    documents: tuple[str, ...] = ()

    @property
    def takes_opinion(self) -> bool:
        """Whether the action is a decision that carries a 审核意见."""
        return self.action in DECISIONS

    @property
    def changes_state(self) -> bool:
        return self.dest is not None

    @property
    def budget(self) -> BudgetEffect | None:
        """How the action moves the budget, if it does (from its declared effects)."""
        return next((_BUDGET_EFFECTS[e] for e in self.effects if e in _BUDGET_EFFECTS), None)

    @property
    def moves_money(self) -> bool:
        """Whether the batch must be locked: the action reserves, releases or consumes."""
        return self.budget is not None

    @property
    def reserves(self) -> bool:
        return self.budget == "reserve"

    @property
    def releases(self) -> bool:
        return self.budget == "release"

    @property
    def consumes(self) -> bool:
        return self.budget == "consume"


@dataclass(frozen=True, eq=False)
class Workflow:
    """A versioned workflow definition (流程定义) and its ``transitions`` machine.

    Compared and hashed by identity: there is one object per id, in :data:`WORKFLOWS`.
    """

    id: str
    name_zh: str
    name_en: str
    expert_review: bool
    states: tuple[str, ...]
    actions: Mapping[str, ActionSpec]
    machine: Machine = field(repr=False)
    outcome: Outcome = "payment"
    #: The release of the actions it was built from (rows with ``since`` above it are
    #: not in it): a published definition never changes.
    generation: int = 1

    def label(self, lang: Lang = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    @property
    def final_states(self) -> frozenset[str]:
        """办结: where a case of this workflow ends (a recognition ends ``approved``)."""
        ends = FINAL_STATES & set(self.states)
        return ends | {"approved"} if self.outcome == "recognition" else ends


def _spec(raw: Mapping[str, Any], workflow_id: str, states: tuple[str, ...]) -> ActionSpec:
    sources = raw.get("sources_by_workflow", {}).get(workflow_id, raw["sources"])
    zh, en = raw["label"]
    return ActionSpec(
        action=raw["action"],
        sources=frozenset(s for s in sources if s in states),
        dest=raw["dest"],
        roles=frozenset(raw["roles"]),
        label_zh=zh,
        label_en=en,
        needs_reason=raw.get("needs_reason", False),
        needs_articles=raw.get("needs_articles", False),
        requires_amount=raw.get("requires_amount", False),
        requires_score=raw.get("requires_score", False),
        requires_payment_reference=raw.get("requires_payment_reference", False),
        needs_items=raw.get("needs_items", False),
        system=raw.get("system", False),
        prepare=_declared(raw, "prepare", PREPARATIONS),
        checks=_declared(raw, "checks", CHECKS),
        effects=_declared(raw, "effects", EFFECTS),
        notify=frozenset(_declared(raw, "notify", AUDIENCES)),
        documents=_declared(raw, "documents", DOCUMENTS),
    )


def _declared(raw: Mapping[str, Any], key: str, known: Collection[str]) -> tuple[str, ...]:
    names = tuple(raw.get(key, ()))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{raw['action']}: unknown {key} {', '.join(unknown)}")
    return names


def _in_workflow(raw: Mapping[str, Any], expert_review: bool, outcome: str, gen: int) -> bool:
    """Whether an action row belongs to a workflow of this kind and release."""
    if raw.get("expert_only", False) and not expert_review:
        return False
    if raw.get("outcome", outcome) != outcome:
        return False
    return int(raw.get("since", 1)) <= gen


def _build(
    workflow_id: str,
    name_zh: str,
    name_en: str,
    *,
    expert_review: bool,
    outcome: Outcome = "payment",
    generation: int = 1,
) -> Workflow:
    rows = [r for r in TRANSITIONS if _in_workflow(r, expert_review, outcome, generation)]
    reached = {INITIAL_STATE} | {r["dest"] for r in rows if r["dest"]}
    states = tuple(s for s in STATES if s in reached and (expert_review or s != "expert_reviewed"))
    specs = {raw["action"]: _spec(raw, workflow_id, states) for raw in rows}
    for spec in specs.values():
        if spec.dest is not None and spec.dest not in states:
            raise ValueError(f"{workflow_id}: {spec.action} leads to unknown state {spec.dest}")
    machine = Machine(
        model=None,
        states=list(states),
        transitions=[
            {"trigger": s.action, "source": sorted(s.sources), "dest": s.dest}
            for s in specs.values()
        ],
        initial=INITIAL_STATE,
        auto_transitions=False,
        send_event=False,
    )
    return Workflow(
        workflow_id,
        name_zh,
        name_en,
        expert_review,
        states,
        MappingProxyType(specs),
        machine,
        outcome,
        generation,
    )


#: The workflow definitions by id. Never change a published one: add ``-v2``. The
#: second release added 不予受理 (``decline``), the recognition workflow that ends at
#: ``approved``, and 逾期未补正 (``lapse``, in every workflow: it takes the same edge as
#: the applicant's withdrawal).
WORKFLOWS: Final[dict[str, Workflow]] = {
    wf.id: wf
    for wf in (
        _build("standard-v1", "标准审批流程", "Standard review", expert_review=False),
        _build("expert-v1", "专家评审流程", "Review with experts", expert_review=True),
        _build("standard-v2", "标准审批流程", "Standard review", expert_review=False, generation=2),
        _build(
            "expert-v2", "专家评审流程", "Review with experts", expert_review=True, generation=2
        ),
        _build(
            "recognition-v1",
            "认定流程（专家评审）",
            "Recognition with expert review",
            expert_review=True,
            outcome="recognition",
            generation=2,
        ),
    )
}


def get_workflow(workflow_id: str) -> Workflow:
    """The workflow definition with this id; ``KeyError`` when unknown."""
    try:
        return WORKFLOWS[workflow_id]
    except KeyError:
        raise KeyError(f"未知的审批流程：{workflow_id}") from None


def current_workflow_for(expert_review: bool, outcome: Outcome = "payment") -> str:
    """The id new cases of a program start with (现行流程版本)."""
    if outcome == "recognition":
        return "recognition-v1"
    return "expert-v2" if expert_review else "standard-v2"


def is_final(state: str, workflow_id: str | None = None) -> bool:
    """办结: whether a case in ``state`` has ended (in its workflow, when named)."""
    if workflow_id is None:
        return state in FINAL_STATES
    return state in get_workflow(workflow_id).final_states


def get_action(workflow_id: str, action: str) -> ActionSpec | None:
    """The action of this workflow, or ``None`` when the workflow has no such action."""
    return get_workflow(workflow_id).actions.get(action)


def next_state(workflow_id: str, state: str, action: str) -> str:
    """下一状态 — asked of the ``transitions`` machine; raises InvalidTransition."""
    wf = get_workflow(workflow_id)
    found = wf.machine.get_transitions(trigger=action, source=state) if state in wf.states else []
    if not found:
        raise InvalidTransition(
            f"当前状态“{state_label(state)}”下不能执行“{action_label(action)}”。",
            detail=f"{workflow_id}: no transition {action!r} from {state!r}",
        )
    dest = found[0].dest
    return state if dest is None else dest


def actions_from(workflow_id: str, state: str) -> list[str]:
    """Actions the workflow offers in this state, whoever the actor (declaration order)."""
    wf = get_workflow(workflow_id)
    return [a for a, spec in wf.actions.items() if state in spec.sources]


#: States a recognition names otherwise: its ``approved`` is 已认定 (办结), not 核准.
RECOGNITION_STATE_LABELS: Final[dict[str, tuple[str, str]]] = {
    "approved": ("已认定", "Recognised"),
}


def state_label(state: str, lang: Lang = "zh", workflow_id: str | None = None) -> str:
    """The state's name; with the case's workflow, as that workflow's outcome names it."""
    zh, en = STATES.get(state, (state, state))
    if workflow_id in WORKFLOWS and WORKFLOWS[workflow_id].outcome == "recognition":
        zh, en = RECOGNITION_STATE_LABELS.get(state, (zh, en))
    return zh if lang == "zh" else en


def action_label(action: str, lang: Lang = "zh") -> str:
    for raw in TRANSITIONS:
        if raw["action"] == action:
            zh, en = raw["label"]
            return zh if lang == "zh" else en
    return action


def waiting_role(state: str, workflow_id: str | None = None) -> str | None:
    """待办角色 — whose queue a case in this state sits in; ``None`` for final states
    (of its workflow, when named: an approved recognition waits on nobody).

    A case in ``county_approved`` of ``expert-v1`` sits with the city reviewer, who
    assigns the experts and concludes; experts see their assignments separately.
    """
    if state not in _WAITING_ROLE:
        raise KeyError(f"未知的状态：{state}")
    if workflow_id is not None and is_final(state, workflow_id):
        return None
    return _WAITING_ROLE[state]


# ---------------------------------------------------------------------------- diagrams

_FONT: Final = "Noto Sans CJK SC"


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(workflow_id: str, lang: Lang = "zh") -> str:
    """The workflow as Graphviz DOT, labels in Chinese (with the English name below)."""
    wf = get_workflow(workflow_id)
    lines = [
        f"digraph {_dot_str(wf.id)} {{",
        "  rankdir=LR;",
        f"  graph [fontname={_dot_str(_FONT)}, label={_dot_str(wf.label(lang))}, labelloc=t];",
        f"  node [shape=box, style=rounded, fontname={_dot_str(_FONT)}];",
        f"  edge [fontname={_dot_str(_FONT)}, fontsize=10];",
    ]
    for state in wf.states:
        label = f"{state_label(state, lang, wf.id)}\n{state}"
        extra = ", peripheries=2" if state in wf.final_states else ""
        extra += ', style="rounded,bold"' if state == INITIAL_STATE else ""
        lines.append(f"  {_dot_str(state)} [label={_dot_str(label)}{extra}];")
    for spec in wf.actions.values():
        label = spec.label_zh if lang == "zh" else spec.label_en
        for source in sorted(spec.sources, key=wf.states.index):
            dest = spec.dest or source
            style = ", style=dashed" if spec.dest is None else ""
            lines.append(
                f"  {_dot_str(source)} -> {_dot_str(dest)} [label={_dot_str(label)}{style}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


@cache
def to_svg(workflow_id: str, lang: Lang = "zh") -> str:
    """The workflow drawn as SVG: Graphviz ``dot`` when installed, else a simple layout."""
    dot = shutil.which("dot")
    if dot:
        try:
            done = subprocess.run(  # noqa: S603 — fixed binary, our own DOT on stdin
                [dot, "-Tsvg"],
                input=to_dot(workflow_id, lang).encode("utf-8"),
                capture_output=True,
                timeout=30,
                check=True,
            )
            return done.stdout.decode("utf-8")
        except (OSError, subprocess.SubprocessError):
            pass
    return fallback_svg(workflow_id, lang)


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def fallback_svg(workflow_id: str, lang: Lang = "zh") -> str:
    """A self-drawn SVG (no Graphviz): states in columns by distance from ``draft``."""
    wf = get_workflow(workflow_id)
    # Column = length of the shortest path from the initial state (breadth first).
    column: dict[str, int] = {INITIAL_STATE: 0}
    frontier = [INITIAL_STATE]
    while frontier:
        nxt: list[str] = []
        for state in frontier:
            for spec in wf.actions.values():
                if state in spec.sources and spec.dest and spec.dest not in column:
                    column[spec.dest] = column[state] + 1
                    nxt.append(spec.dest)
        frontier = nxt
    for state in wf.states:
        column.setdefault(state, max(column.values()) + 1)
    rows: dict[int, int] = {}
    pos: dict[str, tuple[int, int]] = {}
    box_w, box_h, gap_x, gap_y, margin = 150, 46, 90, 40, 30
    for state in wf.states:
        col = column[state]
        row = rows.get(col, 0)
        rows[col] = row + 1
        pos[state] = (margin + col * (box_w + gap_x), margin + 30 + row * (box_h + gap_y))
    width = margin * 2 + (max(column.values()) + 1) * (box_w + gap_x)
    height = margin * 2 + 30 + max(rows.values()) * (box_h + gap_y)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{_FONT}, sans-serif" font-size="12">',
        f"<title>{_xml(wf.label(lang))}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>'
        "</defs>",
        f'<text x="{margin}" y="{margin}" font-size="16">{_xml(wf.label(lang))}</text>',
    ]
    for spec in wf.actions.values():
        label = _xml(spec.label_zh if lang == "zh" else spec.label_en)
        for source in sorted(spec.sources, key=wf.states.index):
            sx, sy = pos[source]
            if spec.dest is None:
                x, y = sx + box_w // 2, sy
                out.append(
                    f'<path d="M{x - 15},{y} C{x - 25},{y - 30} {x + 25},{y - 30} {x + 15},{y}" '
                    'fill="none" stroke="#555" stroke-dasharray="4 3" '
                    'marker-end="url(#arrow)"/>'
                )
                out.append(f'<text x="{x}" y="{y - 26}" text-anchor="middle">{label}</text>')
                continue
            dx, dy = pos[spec.dest]
            x1, y1 = sx + box_w, sy + box_h // 2
            x2, y2 = dx, dy + box_h // 2
            if dx <= sx:  # backwards edge: from the bottom of one box to the bottom of the other
                x1, y1, x2, y2 = sx + box_w // 2, sy + box_h, dx + box_w // 2, dy + box_h
            out.append(
                f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555" '
                'marker-end="url(#arrow)"/>'
            )
            out.append(
                f'<text x="{(x1 + x2) // 2}" y="{(y1 + y2) // 2 - 4}" text-anchor="middle" '
                f'fill="#333">{label}</text>'
            )
    for state in wf.states:
        x, y = pos[state]
        stroke = 'stroke-width="3"' if state in wf.final_states else 'stroke-width="1"'
        out.append(
            f'<g class="state" id="state-{_xml(state)}"><rect x="{x}" y="{y}" width="{box_w}" '
            f'height="{box_h}" rx="8" fill="#fff" stroke="#222" {stroke}/>'
            f'<text x="{x + box_w // 2}" y="{y + 20}" text-anchor="middle" font-size="14">'
            f"{_xml(state_label(state, lang, wf.id))}</text>"
            f'<text x="{x + box_w // 2}" y="{y + 37}" text-anchor="middle" fill="#666">'
            f"{_xml(state)}</text></g>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
