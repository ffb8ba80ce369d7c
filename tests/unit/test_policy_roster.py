"""The 花名册 of 招用大学生社保补贴: each row rule at its boundary, the header mapping, and
the whole-file check where earlier rows count against later ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhongchuang.policy.catalogue import load_catalogue
from zhongchuang.policy.dates import add_months
from zhongchuang.policy.identity import make_id_number
from zhongchuang.policy.roster import (
    RosterHeaderError,
    RosterHistory,
    RosterRow,
    check_roster,
    check_roster_row,
    map_headers,
    parse_month,
    row_amount,
    row_from_cells,
)

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"
ID = make_id_number("330402", date(1997, 5, 1), 12)
OTHER_ID = make_id_number("330411", date(1998, 2, 3), 45)
CLAIM = (date(2020, 1, 1), date(2020, 6, 1))


@pytest.fixture(scope="module")
def params() -> dict[str, Any]:
    table = load_catalogue(CATALOGUE).parameter_table("graduate_social_insurance")
    return table.values(date(2020, 7, 1))


def row(**changes: Any) -> RosterRow:
    base = RosterRow(
        row_number=2,
        name="张小三",
        id_number=ID,
        school="嘉兴学院",
        graduation_date="2019-06-30",
        contract_start="2019-07-01",
        contract_end="2022-06-30",
        month="2020-03",
        pension="320.00",
        medical="160.00",
        unemployment="10.00",
    )
    return replace(base, **changes)


def check(
    params: dict[str, Any],
    r: RosterRow,
    history: RosterHistory | None = None,
    claim: tuple[date, date] = CLAIM,
) -> list[str]:
    return check_roster_row(r, claim[0], claim[1], params, history or RosterHistory())


def months(first: date, count: int) -> frozenset[date]:
    return frozenset(add_months(first, i) for i in range(count))


def test_the_catalogue_values_are_the_confirmed_ones(params: dict[str, Any]) -> None:
    assert params["graduation_window_years"] == 1
    assert params["min_contract_months"] == 12
    assert params["max_months"] == 12


def test_a_good_row_is_accepted_and_its_amount_is_the_employer_share(
    params: dict[str, Any],
) -> None:
    assert check(params, row()) == []
    assert row_amount(row()) == Decimal("490.00")


@pytest.mark.parametrize(
    ("id_number", "why"),
    [
        ("360426199101010072", "校验位"),
        ("", "为空"),
        ("12345", "18位"),
        ("330402199702300123", "出生日期"),
    ],
)
def test_the_identity_number_must_be_valid(
    params: dict[str, Any], id_number: str, why: str
) -> None:
    reasons = check(params, row(id_number=id_number))
    assert any(why in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("graduated", "hired", "ok"),
    [
        ("2019-06-30", "2019-07-01", True),
        ("2019-06-30", "2019-03-01", True),  # same calendar year, before graduating
        ("2019-06-30", "2019-12-31", True),
        ("2019-06-30", "2020-01-01", False),  # graduation year + 1
        ("2019-06-30", "2018-12-31", False),
        ("2019-06", "2019-08-15", True),  # graduation given as a month
    ],
)
def test_hired_in_the_graduation_year(
    params: dict[str, Any], graduated: str, hired: str, ok: bool
) -> None:
    reasons = check(
        params, row(graduation_date=graduated, contract_start=hired, contract_end="2022-12-31")
    )
    assert (not any("毕业年度" in r for r in reasons)) is ok, reasons


@pytest.mark.parametrize(
    ("end", "ok"),
    [("2020-06-30", True), ("2020-05-31", False), ("2020-06-29", False), ("无固定期限", True)],
)
def test_contract_of_at_least_twelve_months(params: dict[str, Any], end: str, ok: bool) -> None:
    reasons = check(params, row(contract_start="2019-07-01", contract_end=end))
    assert (reasons == []) is ok, reasons
    if not ok:
        assert any("不足12个月" in r for r in reasons)


def test_a_contract_ending_before_it_starts(params: dict[str, Any]) -> None:
    assert any("早于" in r for r in check(params, row(contract_end="2019-06-30")))


@pytest.mark.parametrize(
    ("month", "ok"), [("2020-01", True), ("2020-06", True), ("2019-12", False), ("2020-07", False)]
)
def test_the_month_must_be_inside_the_claim_period(
    params: dict[str, Any], month: str, ok: bool
) -> None:
    reasons = check(params, row(month=month))
    assert (reasons == []) is ok, reasons


def test_the_month_must_be_inside_the_contract(params: dict[str, Any]) -> None:
    claim = (date(2019, 1, 1), date(2019, 12, 1))
    assert any("劳动合同期内" in r for r in check(params, row(month="2019-06"), claim=claim))
    assert check(params, row(month="2019-07"), claim=claim) == []
    ended = row(contract_start="2019-01-01", contract_end="2019-12-31", month="2020-01")
    assert any("劳动合同期内" in r for r in check(params, ended))


def test_the_thirteenth_month_of_a_person_is_refused(params: dict[str, Any]) -> None:
    eleven = RosterHistory({ID: months(date(2019, 7, 1), 11)})  # 2019-07 .. 2020-05
    twelve = RosterHistory({ID: months(date(2019, 1, 1), 12)})  # 2019-01 .. 2019-12
    assert check(params, row(month="2020-06"), eleven) == []
    reasons = check(
        params,
        row(month="2020-03", contract_start="2019-01-02", graduation_date="2019-01-01"),
        twelve,
    )
    assert any("上限12个月" in r for r in reasons), reasons


def test_the_same_person_month_is_never_paid_twice(params: dict[str, Any]) -> None:
    history = RosterHistory({ID: frozenset({date(2020, 3, 1)})})
    assert any("不得重复" in r for r in check(params, row(), history))
    assert check(params, row(id_number=OTHER_ID), history) == []


def test_history_can_be_keyed_by_the_services_hash(params: dict[str, Any]) -> None:
    def keyed(number: str) -> str:
        return "h:" + number[::-1]

    history = RosterHistory({keyed(ID): frozenset({date(2020, 3, 1)})}, key=keyed)
    assert any("不得重复" in r for r in check(params, row(id_number=ID.lower()), history))


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("pension", "-0.01", "不得为负数"),
        ("medical", "abc", "应为数字"),
        ("unemployment", "", "为空"),
        ("pension", "1.005", "两位小数"),
        ("medical", True, "应为数字"),
    ],
)
def test_amounts_must_be_numbers_not_below_zero(
    params: dict[str, Any], field: str, value: object, why: str
) -> None:
    reasons = check(params, row(**{field: value}))
    assert any(why in r for r in reasons), reasons
    with pytest.raises(ValueError, match=why):
        row_amount(row(**{field: value}))


def test_zero_amounts_and_spreadsheet_values_are_accepted(params: dict[str, Any]) -> None:
    excel = row(
        graduation_date=datetime(2019, 6, 30),
        contract_start=datetime(2019, 7, 1),
        contract_end=datetime(2022, 6, 30),
        month=datetime(2020, 3, 1),
        pension=320,
        medical=160.5,
        unemployment=0,
    )
    assert check(params, excel) == []
    assert row_amount(excel) == Decimal("480.50")


def test_blank_name_school_and_dates_are_each_named(params: dict[str, Any]) -> None:
    reasons = check(params, row(name=" ", school=None, graduation_date="", month="March"))
    joined = "".join(reasons)
    assert "姓名为空" in joined
    assert "毕业院校为空" in joined
    assert "毕业时间为空" in joined
    assert "补贴月份" in joined


def test_the_whole_roster_counts_earlier_rows_and_keeps_good_rows(params: dict[str, Any]) -> None:
    claim = (date(2019, 7, 1), date(2020, 7, 1))
    rows = [
        row(row_number=n + 2, month=add_months(date(2019, 7, 1), n).strftime("%Y-%m"))
        for n in range(13)
    ]
    rows.append(row(row_number=15, month="2019-07"))  # same person-month again
    rows.append(row(row_number=16, id_number="360426199101010072"))
    result = check_roster(rows, claim[0], claim[1], params)
    assert len(result.accepted) == 12
    assert [n for n, _ in result.rejected] == [14, 15, 16]
    assert any("上限12个月" in r for r in result.rejected[0][1])
    assert any("不得重复" in r for r in result.rejected[1][1])
    assert result.amount == Decimal("5880.00")
    assert result.summary().accepted_rows == 12
    assert result.as_json()["amount"] == "5880.00"
    assert result.as_json()["rejected"][2]["row"] == 16
    assert len(result.history.months_for(ID)) == 12


def test_headers_in_chinese_or_english_map_to_fields() -> None:
    chinese = [
        "序号",
        "姓名",
        "身份证号",
        "毕业院校",
        "毕业时间",
        "劳动合同起始",
        "劳动合同终止",
        "补贴月份",
        "单位养老（元）",
        "单位医疗(元)",
        "单位失业",
        "备注",
    ]
    mapping = map_headers(chinese)
    assert mapping[1] == "name"
    assert mapping[8] == "pension"
    assert 0 not in mapping
    assert 11 not in mapping
    english = [
        "Name",
        "ID Number",
        "school",
        "graduation_date",
        "contract-start",
        "contract_end",
        "month",
        "pension",
        "medical",
        "unemployment",
    ]
    assert set(map_headers(english).values()) == set(map_headers(chinese).values())


def test_missing_or_repeated_columns_are_named() -> None:
    with pytest.raises(RosterHeaderError) as info:
        map_headers(["姓名", "身份证号", "补贴月份"])
    assert "劳动合同起始" in info.value.message
    assert "pension" in info.value.missing
    with pytest.raises(RosterHeaderError, match="重复的列：姓名"):
        map_headers(
            [
                "姓名",
                "name",
                "身份证号",
                "毕业院校",
                "毕业时间",
                "劳动合同起始",
                "劳动合同终止",
                "补贴月份",
                "单位养老",
                "单位医疗",
                "单位失业",
            ]
        )


def test_a_row_is_built_from_cells_by_the_header_mapping() -> None:
    header = [
        "姓名",
        "身份证号",
        "毕业院校",
        "毕业时间",
        "劳动合同起始",
        "劳动合同终止",
        "补贴月份",
        "单位养老",
        "单位医疗",
        "单位失业",
    ]
    built = row_from_cells(["李四", ID, "浙大", "2019-06-30"], map_headers(header), 7)
    assert built.row_number == 7
    assert built.name == "李四"
    assert built.pension is None


def test_parse_month() -> None:
    assert parse_month("2020-03") == date(2020, 3, 1)
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("2020-00")
