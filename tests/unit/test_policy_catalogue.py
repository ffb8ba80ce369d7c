"""The catalogue file of 嘉政办发〔2015〕90号: it loads, carries the seed text verbatim and the
DOMAIN.md values, and a malformed catalogue is refused whole with its location."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhongchuang.errors import ValidationFailed
from zhongchuang.policy.catalogue import (
    Catalogue,
    CatalogueError,
    ProgramSpec,
    catalogue_from_text,
    load_catalogue,
)

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "catalogue" / "jiaxing-2015-90.yaml"
SEED = ROOT.parent / "shared" / "seed" / "jiaxing-2015-90-makerspace-policy.txt"

PROGRAM_CODES = [
    "makerspace_recognition",
    "famous_space_introduction",
    "graduate_social_insurance",
    "graduate_self_employed_insurance",
    "graduate_startup_grant",
    "graduate_loan_interest",
    "employment_driving_grant",
]
ARTICLE_PATHS = [
    "序言",
    "一",
    "一(一)",
    "一(二)",
    "一(三)",
    "二",
    "二(一)",
    "二(二)",
    "二(三)",
    "二(四)",
    "三",
    "四",
    "四(一)",
    "四(二)",
    "四(三)",
    "四(四)",
    "五",
    "五(一)",
]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    if not SEED.exists():
        pytest.skip(f"seed text not found at {SEED}")
    return SEED.read_text(encoding="utf-8").split("\n")


def refused(data: dict[str, Any]) -> CatalogueError:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    with pytest.raises(CatalogueError) as info:
        catalogue_from_text(text, "bad.yaml")
    return info.value


def program_index(raw: dict[str, Any], code: str) -> int:
    return [p["code"] for p in raw["programs"]].index(code)


# --- the file as shipped ------------------------------------------------------------------


def test_the_shipped_catalogue_loads_with_its_seven_programs(catalogue: Catalogue) -> None:
    assert sorted(p.code for p in catalogue.programs) == sorted(PROGRAM_CODES)
    assert catalogue.catalogue_version
    assert catalogue.policy.doc_number == "嘉政办发〔2015〕90号"
    assert catalogue.policy.issuer == "嘉兴市人民政府办公室"
    assert [d.doc_number for d in catalogue.policy.based_on] == [
        "国办发〔2015〕9号",
        "浙政办发〔2015〕79号",
    ]


def test_the_articles_are_those_of_the_seed_in_order(catalogue: Catalogue) -> None:
    assert [a.path for a in catalogue.articles] == ARTICLE_PATHS


def test_every_article_text_is_copied_verbatim_from_the_seed(
    catalogue: Catalogue, seed_lines: list[str]
) -> None:
    for article in catalogue.articles:
        for line in article.text.split("\n"):
            assert line in seed_lines, f"{article.path}: {line[:30]}… is not a line of the seed"
        if article.title:
            assert article.title in "\n".join(seed_lines), article.path


def test_every_line_of_the_policy_body_is_in_some_article(
    catalogue: Catalogue, seed_lines: list[str]
) -> None:
    first = seed_lines.index("各县(市、区)人民政府,市政府各部门、直属各单位:")
    body = [line for line in seed_lines[first:] if line.strip()]
    carried = {line for a in catalogue.articles for line in a.text.split("\n")}
    assert [line for line in body if line not in carried] == []


def test_headings_keep_their_titles_and_three_holds_its_four_paragraphs(
    catalogue: Catalogue,
) -> None:
    assert catalogue.article("一").title == "重要意义"
    assert catalogue.article("五").title == "加强政策支持"
    assert catalogue.article("四(一)").title == "鼓励大学生创业"
    three = catalogue.article("三").text.split("\n")
    assert three[0] == "三、大力发展各类众创空间"
    assert [line[:2] for line in three[2:]] == ["一是", "二是", "三是", "四是"]


def test_the_last_article_is_marked_incomplete(catalogue: Catalogue) -> None:
    last = catalogue.articles[-1]
    assert last.path == "五(一)"
    assert last.incomplete
    assert last.note
    assert last.text.endswith("在嘉兴建设众创空间")
    assert not any(a.incomplete for a in catalogue.articles[:-1])


def test_policy_events_and_which_dates_are_confirmed(catalogue: Catalogue) -> None:
    events = {(e.kind, e.date, e.document, e.confirmed) for e in catalogue.policy.events}
    assert events == {
        ("issued", date(2015, 12, 1), "嘉政办发〔2015〕90号", False),
        ("in_force", date(2015, 12, 1), "嘉政办发〔2015〕90号", False),
        ("confirmed_valid", date(2019, 12, 30), "嘉政发〔2019〕22号", True),
        ("repealed", date(2021, 12, 31), "嘉政发〔2021〕34号", False),
    }
    assert all(e.note for e in catalogue.policy.events)


@pytest.mark.parametrize(
    ("code", "name", "value", "confirmed"),
    [
        ("famous_space_introduction", "max_award", Decimal("1000000.00"), False),
        ("famous_space_introduction", "min_area_sqm", Decimal("500"), False),
        ("graduate_social_insurance", "graduation_window_years", 1, True),
        ("graduate_social_insurance", "min_contract_months", 12, True),
        ("graduate_social_insurance", "max_months", 12, True),
        ("graduate_startup_grant", "graduation_window_years", 5, False),
        ("graduate_startup_grant", "min_months_in_business", 6, False),
        ("graduate_startup_grant", "grant_amount", Decimal("5000.00"), False),
        ("graduate_self_employed_insurance", "min_insured_months", 12, False),
        ("graduate_self_employed_insurance", "lump_sum", Decimal("10000.00"), False),
        ("graduate_loan_interest", "max_loan", Decimal("500000.00"), False),
        ("graduate_loan_interest", "max_years", 3, False),
        ("employment_driving_grant", "base", Decimal("2000.00"), False),
        ("employment_driving_grant", "per_extra", Decimal("1000.00"), False),
        ("employment_driving_grant", "annual_cap", Decimal("20000.00"), False),
        ("employment_driving_grant", "max_years", 3, False),
        ("employment_driving_grant", "min_employees", 3, False),
        ("makerspace_recognition", "min_operating_months", 18, False),
        ("makerspace_recognition", "min_area_sqm", Decimal("500"), False),
        ("makerspace_recognition", "min_workstations", 30, False),
        ("makerspace_recognition", "min_resident_teams", 20, False),
        ("makerspace_recognition", "min_mentors", 3, False),
        ("makerspace_recognition", "min_staff", 3, False),
        ("makerspace_recognition", "min_events_last_year", 10, False),
        ("makerspace_recognition", "min_expert_scores", 3, False),
        ("famous_space_introduction", "min_expert_scores", 3, False),
    ],
)
def test_parameters_carry_the_domain_values_and_confirmed_flags(
    catalogue: Catalogue, code: str, name: str, value: Decimal | int, confirmed: bool
) -> None:
    [record] = [p for p in catalogue.parameters_for(code) if p.name == name]
    assert record.typed_value == value
    assert type(record.typed_value) is type(value)
    assert record.confirmed is confirmed
    assert record.valid_to is None
    assert record.source


def test_time_limits_are_unconfirmed_working_day_parameters(catalogue: Catalogue) -> None:
    expected = {
        "submitted": 5,
        "accepted": 15,
        "county_approved": 15,
        "expert_reviewed": 10,
        "city_approved": 5,
        "approved": 10,
    }
    for program in catalogue.programs:
        table = catalogue.parameter_table(program.code)
        for state, name in program.time_limits.items():
            assert name == f"time_limit_{state}"
            record = table.record(name, date(2018, 1, 1))
            assert record.value == expected[state]
            assert record.unit == "working_days"
            assert not record.confirmed
        assert set(program.time_limits) == set(program.waiting_states)
    assert "expert_reviewed" not in catalogue.program("graduate_startup_grant").time_limits


@pytest.mark.parametrize(
    ("code", "kinds", "expert", "benefit"),
    [
        ("makerspace_recognition", "organization", True, ("space", "once")),
        ("famous_space_introduction", "organization", True, ("business", "once")),
        ("graduate_social_insurance", "organization", False, ("person", "month")),
        ("graduate_startup_grant", "person", False, ("person", "once")),
        ("graduate_self_employed_insurance", "person", False, ("person", "once")),
        ("graduate_loan_interest", "person", False, ("person", "month")),
        ("employment_driving_grant", "person", False, ("business", "year")),
    ],
)
def test_programs_name_applicants_workflow_and_benefit(
    catalogue: Catalogue, code: str, kinds: str, expert: bool, benefit: tuple[str, str]
) -> None:
    program = catalogue.program(code)
    assert [k.kind for k in program.applicant_kinds] == [kinds]
    assert program.expert_review is expert
    assert program.workflow == ("expert" if expert else "standard")
    assert (program.benefit.subject, program.benefit.per) == benefit
    assert program.benefit.key == code
    for rule in program.rules:
        catalogue.article(rule.article)
        assert rule.message.passed
        assert rule.message.failed


def test_social_insurance_is_for_micro_and_small_enterprises(catalogue: Catalogue) -> None:
    [kind] = catalogue.program("graduate_social_insurance").applicant_kinds
    assert kind.org_kinds == ["enterprise"]
    assert kind.enterprise_sizes == ["micro", "small"]


def test_recognition_fields_and_attachments_follow_domain(catalogue: Catalogue) -> None:
    program = catalogue.program("makerspace_recognition")
    assert [f.name for f in program.fields] == [
        "space_name",
        "space_type",
        "address",
        "district",
        "area_sqm",
        "workstations",
        "resident_teams",
        "mentors",
        "staff",
        "events_last_year",
        "operating_since",
    ]
    space_type = program.field("space_type")
    assert space_type is not None
    assert {(c.value, c.label) for c in space_type.choices or ()} == {
        ("demonstration", "示范推进型"),
        ("investment", "投资促进型"),
        ("professional_service", "专业服务型"),
        ("maker_incubation", "创客孵化类"),
    }
    assert [(a.kind, a.required) for a in program.attachments] == [
        ("business_license", True),
        ("lease_or_deed", True),
        ("resident_list", True),
        ("operations_report", True),
    ]


def test_every_field_has_labels_in_both_languages(catalogue: Catalogue) -> None:
    for program in catalogue.programs:
        for field in program.fields:
            assert field.label
            assert field.label_en
        schema = program.json_schema()
        assert set(schema["properties"]) == {f.name for f in program.fields}


def test_the_content_hash_is_stable_and_ignores_layout(catalogue: Catalogue) -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    again = catalogue_from_text("# a comment\n" + text, "copy.yaml")
    assert again.sha256 == catalogue.sha256
    assert len(catalogue.sha256) == 64
    changed = catalogue_from_text(text.replace('value: "5000.00"', 'value: "6000.00"'), "x")
    assert changed.sha256 != catalogue.sha256


def test_a_program_definition_round_trips_through_json(catalogue: Catalogue) -> None:
    for program in catalogue.programs:
        assert ProgramSpec.model_validate(program.definition()) == program


# --- malformed files --------------------------------------------------------------------


def test_unknown_rule_kind_is_refused_with_its_location(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["programs"][2]["rules"][0]["kind"] = "no_such_kind"
    error = refused(data)
    assert error.file == "bad.yaml"
    assert error.location == "programs[2].rules[0].kind"
    assert "未知的规则类型" in error.reason
    assert "unknown rule kind" in error.reason
    assert isinstance(error, ValidationFailed)


def test_rule_naming_a_missing_parameter_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    i = program_index(data, "famous_space_introduction")
    rules = data["programs"][i]["rules"]
    j = [r["id"] for r in rules].index("area")
    rules[j]["params"]["min"] = "no_such_parameter"
    error = refused(data)
    assert error.location == f"programs[{i}].rules[{j}].params.min"
    assert "no_such_parameter" in error.reason


def test_rule_citing_an_absent_article_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["programs"][0]["rules"][1]["article"] = "六(一)"
    error = refused(data)
    assert error.location == "programs[0].rules[1].article"
    assert "六(一)" in error.reason


def test_rule_naming_an_unknown_field_or_wrong_type_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    rules = data["programs"][0]["rules"]
    j = [r["id"] for r in rules].index("mentors")
    rules[j]["args"]["field"] = "address"  # a string, not a number
    error = refused(data)
    assert error.location == f"programs[0].rules[{j}].args.field"
    assert "string" in error.reason


def test_duplicate_program_codes_are_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["programs"][1]["code"] = data["programs"][0]["code"]
    assert refused(data).location == "programs[1].code"


def test_duplicate_article_paths_are_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["articles"][2]["path"] = data["articles"][1]["path"]
    assert refused(data).location == "articles[2].path"


def test_an_impossible_date_is_refused_where_it_stands(raw: dict[str, Any]) -> None:
    text = CATALOGUE.read_text(encoding="utf-8").replace("date: 2019-12-30", "date: 2019-13-30")
    with pytest.raises(CatalogueError) as info:
        catalogue_from_text(text, "bad.yaml")
    assert info.value.location == "policy.events[2].date"
    assert "日期" in info.value.reason


def test_an_unknown_field_type_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["programs"][3]["fields"][0]["type"] = "telephone"
    error = refused(data)
    assert error.location == "programs[3].fields[0].type"
    assert "不在允许范围内" in error.reason


def test_an_enum_without_choices_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    del data["programs"][0]["fields"][1]["choices"]
    assert refused(data).location == "programs[0].fields[1].choices"


def test_a_missing_key_and_an_unknown_key_are_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    del data["policy"]["issuer"]
    assert refused(data).location == "policy.issuer"
    data = copy.deepcopy(raw)
    data["programs"][0]["colour"] = "red"
    error = refused(data)
    assert error.location == "programs[0].colour"
    assert "未知的键" in error.reason


def test_a_message_with_an_unknown_placeholder_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["programs"][0]["rules"][0]["message"]["fail"] = "申请人为{nobody}。"
    error = refused(data)
    assert error.location == "programs[0].rules[0].message.fail"
    assert "{nobody}" in error.reason


def test_overlapping_parameter_periods_are_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    i = program_index(data, "graduate_startup_grant")
    params = data["programs"][i]["parameters"]
    params.append({**params[-1], "value": "6000.00", "valid_from": date(2018, 1, 1)})
    error = refused(data)
    assert error.location == f"programs[{i}].parameters[{len(params) - 1}].valid_from"
    assert "重叠" in error.reason


def test_a_time_limit_for_a_state_the_workflow_lacks_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    i = program_index(data, "graduate_startup_grant")
    data["programs"][i]["time_limits"] = {
        **data["programs"][i]["time_limits"],
        "expert_reviewed": "time_limit_expert_reviewed",
    }
    assert refused(data).location == f"programs[{i}].time_limits.expert_reviewed"


def test_duplicate_yaml_keys_are_refused_with_the_line() -> None:
    text = CATALOGUE.read_text(encoding="utf-8").replace(
        "catalogue_version:", "catalogue_version: x\ncatalogue_version:", 1
    )
    with pytest.raises(CatalogueError) as info:
        catalogue_from_text(text, "bad.yaml")
    assert info.value.location.startswith("line ")
    assert "重复的键" in info.value.reason


def test_yaml_syntax_errors_and_non_mappings_are_refused() -> None:
    with pytest.raises(CatalogueError) as info:
        catalogue_from_text("policy: [unclosed", "bad.yaml")
    assert info.value.location.startswith("line ")
    with pytest.raises(CatalogueError):
        catalogue_from_text("- just\n- a list\n", "bad.yaml")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("catalogue_version: 版本".encode("gbk"))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert "UTF-8" in info.value.reason


def test_every_problem_is_listed_not_only_the_first(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["programs"][0]["rules"][0]["kind"] = "nope"
    data["programs"][1]["rules"][0]["article"] = "九"
    error = refused(data)
    locations = [loc for loc, _ in error.problems]
    assert "programs[0].rules[0].kind" in locations
    assert "programs[1].rules[0].article" in locations
    assert error.errors  # mapped for problem+json
