"""Decision letters (决定书): wording, cited articles, rules, amounts in words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from zhongchuang.workflow.letters import (
    LETTER_FOR_ACTION,
    MISSING_ARTICLE_TEXT,
    REMEDY_TEXT,
    RuleLine,
    amount_in_words,
    build_letter,
    chinese_date,
)

ARTICLES = {
    "三": "三、……众创空间分为示范推进型、投资促进型、专业服务型、创客孵化类四种类型……",
    "四(一)": "（一）……对众创空间内招用高校毕业生的小微企业，按规定给予社会保险补贴……",
}
COMMON = {
    "case_number": "ZC-2021-000123",
    "applicant": "嘉兴某某科技有限公司",
    "program_name": "招用大学生社保补贴",
    "policy_title": "嘉兴市人民政府办公室关于加快发展众创空间的若干意见",
    "policy_doc_number": "嘉政办发〔2015〕90号",
    "article_texts": ARTICLES,
    "issued_on": date(2021, 3, 15),
    "issuer": "嘉兴市人力资源和社会保障局",
}
RULES = [
    RuleLine("contract_months", "四(一)", True, "劳动合同期限24个月，不少于12个月"),
    RuleLine("hired_in_graduation_year", "四(一)", False, "2019年毕业，2021年招用，不在毕业年度内"),
]


def test_approval_letter_states_amount_in_figures_and_words() -> None:
    letter = build_letter(
        "approval", cited=["四(一)"], rules=RULES[:1], amount=Decimal("12345.60"), **COMMON
    )
    assert letter.title == "扶持事项核准决定书"
    assert (
        letter.policy
        == "《嘉兴市人民政府办公室关于加快发展众创空间的若干意见》（嘉政办发〔2015〕90号）"
    )
    assert (
        "符合《嘉兴市人民政府办公室关于加快发展众创空间的若干意见》（嘉政办发〔2015〕90号）四(一)的规定"
        in (letter.decision_text)
    )
    assert "人民币12,345.60元（大写：人民币壹万贰仟叁佰肆拾伍元陆角整）" in letter.decision_text
    assert letter.articles[0].text == ARTICLES["四(一)"]
    assert letter.issued_on_text == "2021年3月15日"
    assert letter.remedy is None
    assert letter.passed_rules == tuple(RULES[:1])


def test_approval_without_money() -> None:
    letter = build_letter("approval", cited=["三"], **COMMON)
    assert letter.amount is None
    assert letter.amount_in_words is None
    assert letter.decision_text.endswith("决定予以核准。")


def test_rejection_letter_cites_reason_rules_and_remedy() -> None:
    letter = build_letter(
        "rejection",
        cited=["四(一)", "四(一)"],
        rules=RULES,
        reason="招用时间不在毕业年度内。",
        **COMMON,
    )
    assert letter.title == "不予支持决定书"
    assert "决定不予支持。理由：招用时间不在毕业年度内。" in letter.decision_text
    assert [a.path for a in letter.articles] == ["四(一)"]  # cited once
    assert letter.failed_rules == (RULES[1],)
    assert letter.remedy == REMEDY_TEXT


def test_return_letter_lists_what_to_amend() -> None:
    letter = build_letter("return", cited=["四(一)"], reason="请补充劳动合同复印件", **COMMON)
    assert letter.title == "补正材料通知书"
    assert "需补正事项：请补充劳动合同复印件。" in letter.decision_text
    assert "请按要求补正后重新提交。" in letter.decision_text


def test_article_missing_from_the_catalogue_is_marked() -> None:
    letter = build_letter("rejection", cited=["五(二)"], reason="不符合条件", **COMMON)
    assert letter.articles[0].text == MISSING_ARTICLE_TEXT


@pytest.mark.parametrize("kind", ["rejection", "return"])
def test_refusals_need_a_reason(kind: str) -> None:
    with pytest.raises(ValueError, match="reason"):
        build_letter(kind, cited=["三"], reason=" ", **COMMON)  # type: ignore[arg-type]


def test_letters_come_from_decisions() -> None:
    assert LETTER_FOR_ACTION == {
        "conclude_notice": "approval",
        "return": "return",
        "county_reject": "rejection",
        "city_reject": "rejection",
        "uphold_objection": "rejection",
        "decline": "decline",
    }


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "人民币零元整"),
        ("0.05", "人民币伍分"),
        ("10", "人民币壹拾元整"),
        ("1010.05", "人民币壹仟零壹拾元零伍分"),
        ("20000.00", "人民币贰万元整"),
        ("105000.30", "人民币壹拾万零伍仟元叁角整"),
        ("1000000.00", "人民币壹佰万元整"),
        ("100010000", "人民币壹亿零壹万元整"),
    ],
)
def test_amount_in_words(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_amount_in_words_refuses_fractions_of_cents() -> None:
    with pytest.raises(ValueError, match="精确到分"):
        amount_in_words(Decimal("1.001"))


def test_chinese_date() -> None:
    assert chinese_date(date(2019, 12, 30)) == "2019年12月30日"
