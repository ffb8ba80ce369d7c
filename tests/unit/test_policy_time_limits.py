"""法定时限 and 承诺时限 are catalogue data: a promised limit above the statutory one, on
any day both hold, refuses the file with the program and the dates named."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhongchuang.policy.catalogue import CatalogueError, catalogue_from_text

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"


def test_every_program_promises_no_more_than_the_statutory_limit():
    catalogue = catalogue_from_text(CATALOGUE.read_text(encoding="utf-8"))
    for program in catalogue.programs:
        table = catalogue.parameter_table(program.code)
        on = program.parameters[0].valid_from
        promised = table.value("promised_working_days", on)
        assert 0 < promised <= table.value("statutory_working_days", on), program.code


def test_a_promised_limit_above_the_statutory_one_is_refused_on_load():
    text = CATALOGUE.read_text(encoding="utf-8")
    marker = "      - name: promised_working_days\n        label: 承诺办结时限\n        value: 15\n"
    assert marker in text
    bad = text.replace(marker, marker.replace("value: 15", "value: 25"), 1)
    with pytest.raises(CatalogueError) as refused:
        catalogue_from_text(bad)
    reasons = " ".join(why for _loc, why in refused.value.problems)
    assert "承诺时限 25 个工作日超过法定时限 20 个工作日" in reasons
    assert "2015-12-01 至 今" in reasons
    assert "graduate_social_insurance" in reasons
