"""The rules under issue 19's case handling, without the app: the policy's status in every
evaluation, a space as the subject of a recognition, 一次性告知 and outcomes in the guards,
and the letters of 不予受理, 补正 and 认定."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.unit.test_policy_eval_organisations import space
from zhongchuang.policy.catalogue import CatalogueError, catalogue_from_text, load_catalogue
from zhongchuang.policy.evaluate import Facts, evaluate
from zhongchuang.policy.facts import PriorBenefits, same_space, space_subject
from zhongchuang.policy.identity import make_credit_code
from zhongchuang.workflow.guards import ActionRequest, Actor, CaseFacts, check
from zhongchuang.workflow.letters import build_letter

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"
CAT = load_catalogue(CATALOGUE)
SPACE = space()


def operator(**changes: object) -> Facts:
    base = {
        "applicant_kind": "organization",
        "org_kind": "operator",
        "org_credit_code": make_credit_code("330402", "MA2B00001"),
        "policy_events": CAT.status_events(),
    }
    return Facts(**{**base, **changes})  # type: ignore[arg-type]


def judge(as_of: date, facts: Facts) -> list[tuple[str, bool]]:
    code = "makerspace_recognition"
    ev = evaluate(CAT.program(code), SPACE, as_of, CAT.parameter_table(code), facts)
    return [(r.rule, r.passed) for r in ev.explanation]


# --- the policy's status, in every evaluation ---------------------------------------------


def test_an_evaluation_after_the_repeal_fails_on_the_policys_status() -> None:
    lines = judge(date(2022, 1, 10), operator())
    assert lines[0] == ("policy_in_force", False)
    assert all(passed for rule, passed in lines[1:] if rule != "operating_months")


def test_an_evaluation_while_in_force_has_no_status_line() -> None:
    assert "policy_in_force" not in dict(judge(date(2018, 7, 15), operator()))


def test_the_status_line_names_the_day_and_the_status() -> None:
    code = "makerspace_recognition"
    ev = evaluate(CAT.program(code), SPACE, date(2015, 6, 1), CAT.parameter_table(code), operator())
    assert not ev.eligible
    assert ev.explanation[0].message == "2015-06-01政策尚未施行，不能据此申报。"


# --- a recognition's subject is the space ---------------------------------------------------


def test_a_space_is_the_same_however_its_name_and_address_are_typed() -> None:
    key = space_subject("南湖创客空间", "南湖区某路1号")
    assert space_subject(" 南湖创客空间 ", "南湖区　某路１号") == key
    assert space_subject("南湖创客空间", "南湖区某路2号") != key
    assert space_subject("南湖创客二号", "南湖区某路1号") != key
    assert same_space("南湖创客空间", None, "南湖创客空间 ", "南湖区某路1号")
    assert not same_space("南湖创客空间", "南湖区某路1号", "南湖创客空间", "秀洲区某路9号")


def test_a_space_recognised_or_pending_fails_the_once_rule() -> None:
    key = CAT.program("makerspace_recognition").benefit.key
    lines = dict(judge(date(2018, 7, 15), operator(prior_benefits=PriorBenefits(grants={key: 1}))))
    assert lines["space_once"] is False
    assert dict(judge(date(2018, 7, 15), operator()))["space_once"] is True


# --- outcomes in the catalogue --------------------------------------------------------------


def _with(code: str, **changes: object) -> str:
    raw = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    program = next(p for p in raw["programs"] if p["code"] == code)
    program.update(changes)
    return yaml.safe_dump(raw, allow_unicode=True)


def test_the_catalogue_declares_each_programs_outcome() -> None:
    outcomes = {p.code: p.outcome for p in CAT.programs}
    assert outcomes.pop("makerspace_recognition") == "recognition"
    assert set(outcomes.values()) == {"payment"}


@pytest.mark.parametrize(
    ("code", "outcome"),
    [("makerspace_recognition", "payment"), ("graduate_startup_grant", "recognition")],
)
def test_an_outcome_that_contradicts_the_amount_is_refused_on_load(code: str, outcome: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        catalogue_from_text(_with(code, outcome=outcome), "changed.yaml")
    assert "outcome" in str(refused.value)


# --- the guards: 一次性告知 and outcomes ------------------------------------------------------

TODAY = date(2021, 6, 1)
COUNTY = Actor(user_id=2, roles=frozenset({"county_reviewer"}), district="330402")
FINANCE = Actor(user_id=5, roles=frozenset({"finance"}))


def facts(state: str, **changes: object) -> CaseFacts:
    base = {
        "id": 1,
        "workflow_id": "standard-v2",
        "state": state,
        "version": 3,
        "district": "330402",
        "applicant_user_id": 1,
        "money_program": True,
        "approved_amount": Decimal("5000.00"),
    }
    return CaseFacts(**{**base, **changes})  # type: ignore[arg-type]


def returning(items: tuple) -> ActionRequest:
    return ActionRequest(
        action="return",
        today=TODAY,
        version=3,
        reason="材料不全",
        articles=["四(一)"],
        items=items,
    )


@pytest.mark.parametrize(
    "items",
    [(), ({"target": "year", "message": "  "},), ({"target": "year", "message": None},)],
)
def test_a_return_without_an_item_or_a_message_is_refused(items: tuple) -> None:
    decision = check("return", COUNTY, facts("submitted"), returning(items))
    assert [f.guard for f in decision.failures] == ["items"]
    assert "逐项列明" in decision.message_zh


def test_a_return_with_every_item_is_allowed() -> None:
    items = ({"target": "year", "message": "请填写年度"}, {"target": "bank", "message": "缺"})
    assert check("return", COUNTY, facts("accepted"), returning(items)).allowed


def test_decline_comes_only_from_submitted_in_release_two_workflows() -> None:
    req = ActionRequest(action="decline", today=TODAY, version=3, reason="不属于受理范围")
    allowed = check(
        "decline", COUNTY, facts("submitted"), ActionRequest(**{**req.__dict__, "articles": ["三"]})
    )
    assert allowed.allowed
    assert check("decline", COUNTY, facts("accepted"), None).code == "invalid_transition"
    old = facts("submitted", workflow_id="standard-v1")
    assert check("decline", COUNTY, old, None).code == "invalid_transition"


def test_a_case_without_money_is_never_disbursed_even_in_an_old_workflow() -> None:
    old = facts("approved", workflow_id="expert-v1", money_program=False, approved_amount=None)
    req = ActionRequest(action="disburse", today=TODAY, version=3, payment_reference="PAY-1")
    decision = check("disburse", FINANCE, old, req)
    assert [f.guard for f in decision.failures] == ["outcome"]


# --- the letters ----------------------------------------------------------------------------


def letter(kind: str, **kw: object):
    return build_letter(
        kind,  # type: ignore[arg-type]
        case_number="ZC20210000001",
        applicant="嘉兴某某众创空间管理有限公司",
        program_name="众创空间认定",
        policy_title="嘉兴市人民政府办公室关于加快发展众创空间的若干意见",
        policy_doc_number="嘉政办发〔2015〕90号",
        article_texts={"三": "第三条的文字"},
        cited=["三"],
        issued_on=date(2021, 3, 15),
        issuer="（签发单位）",
        **kw,  # type: ignore[arg-type]
    )


def test_a_decline_letter_decides_not_to_accept_and_names_the_remedies() -> None:
    out = letter("decline", reason="申请事项不属于本部门受理范围", opinion="请向注册地申报。")
    assert out.title == "不予受理决定书"
    assert "决定不予受理" in out.decision_text
    assert "申请事项不属于本部门受理范围" in out.decision_text
    assert out.remedy is not None
    assert "行政复议" in out.remedy
    assert out.opinion == "请向注册地申报。"


def test_a_correction_letter_lists_every_item_with_its_deadline() -> None:
    items = [
        ("场地租赁合同", "已过期"),
        ("运营情况报告", "缺少活动记录"),
        ("工位数", "与报告不一致"),
    ]
    out = letter("return", reason="材料不全", items=items, due_on=date(2021, 3, 29), lapses=True)
    assert out.items == tuple(items)
    assert "需补正事项共3项" in out.decision_text
    assert "请于2021年3月29日前补正后重新提交" in out.decision_text
    assert "逾期未补正的，视为撤回申报" in out.decision_text
    kept = letter("return", reason="材料不全", items=items, due_on=date(2021, 3, 29))
    assert "视为撤回" not in kept.decision_text


def test_a_recognition_letter_recognises_the_space_without_money() -> None:
    out = letter("approval", recognition=True, certificate_number="2021-0001")
    assert out.title == "众创空间认定决定书"
    assert "决定予以认定为市级众创空间" in out.decision_text
    assert "认定证书编号：2021-0001" in out.decision_text
    assert out.amount is None
    assert "金额" not in out.decision_text
