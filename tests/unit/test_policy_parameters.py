"""Parameters over time (政策参数): a value holds over its period; a change opens a new one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from zhongchuang.policy.parameters import ParameterError, ParameterRecord, ParameterTable


def award(value: str, start: date, end: date | None = None) -> ParameterRecord:
    return ParameterRecord(
        name="max_award",
        value=Decimal(value),
        valid_from=start,
        valid_to=end,
        article="五(一)",
        confirmed=False,
        unit="yuan",
        source="test",
    )


@pytest.fixture
def table() -> ParameterTable:
    return ParameterTable(
        [
            award("1000000.00", date(2015, 12, 1), date(2018, 12, 31)),
            award("800000.00", date(2019, 1, 1)),
            ParameterRecord("max_months", 12, date(2015, 12, 1), None, "四(一)", True, "months"),
        ]
    )


def test_a_changed_value_applies_from_its_date(table: ParameterTable) -> None:
    assert table.value("max_award", date(2018, 12, 31)) == Decimal("1000000.00")
    assert table.value("max_award", date(2019, 1, 1)) == Decimal("800000.00")
    assert table.value("max_award", date(2030, 1, 1)) == Decimal("800000.00")
    assert [r.value for r in table.history("max_award")] == [
        Decimal("1000000.00"),
        Decimal("800000.00"),
    ]


def test_a_date_before_any_value_is_a_clear_error(table: ParameterTable) -> None:
    with pytest.raises(ParameterError) as info:
        table.value("max_award", date(2015, 11, 30))
    assert "max_award" in info.value.message
    assert "2015-11-30" in info.value.message
    assert info.value.name == "max_award"


def test_an_unknown_parameter_is_a_clear_error(table: ParameterTable) -> None:
    with pytest.raises(ParameterError, match="未定义参数 nope"):
        table.value("nope", date(2018, 1, 1))


def test_a_gap_between_periods_has_no_value() -> None:
    gappy = ParameterTable(
        [award("1.00", date(2016, 1, 1), date(2016, 12, 31)), award("2.00", date(2018, 1, 1))]
    )
    with pytest.raises(ParameterError):
        gappy.value("max_award", date(2017, 6, 1))


def test_snapshot_is_json_ready_and_dated(table: ParameterTable) -> None:
    snap = table.snapshot(date(2019, 6, 1))
    assert snap["max_award"] == {
        "value": "800000.00",
        "unit": "yuan",
        "valid_from": "2019-01-01",
        "valid_to": None,
        "article": "五(一)",
        "confirmed": False,
        "source": "test",
    }
    assert snap["max_months"]["value"] == 12
    assert table.snapshot(date(2019, 6, 1), names=["max_months"]).keys() == {"max_months"}
    assert "max_award" not in table.snapshot(date(2015, 1, 1))


def test_values_lists_what_holds_on_a_date(table: ParameterTable) -> None:
    assert table.values(date(2016, 1, 1)) == {"max_award": Decimal("1000000.00"), "max_months": 12}


def test_overlapping_or_reversed_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="重叠"):
        ParameterTable([award("1.00", date(2016, 1, 1)), award("2.00", date(2018, 1, 1))])
    with pytest.raises(ValueError, match="早于"):
        ParameterTable([award("1.00", date(2016, 1, 1), date(2015, 1, 1))])


def test_merging_refuses_a_name_in_both(table: ParameterTable) -> None:
    other = ParameterTable([ParameterRecord("notice_working_days", 5, date(2015, 12, 1))])
    merged = table.merged(other)
    assert merged.names() == {"max_award", "max_months", "notice_working_days"}
    with pytest.raises(ValueError, match="重名"):
        table.merged(table)
