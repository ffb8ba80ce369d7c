"""专家评审指标: the catalogue's criteria, and the guards of an expert's score and 回避."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhongchuang.policy.catalogue import CatalogueError, catalogue_from_text, load_catalogue
from zhongchuang.workflow.guards import ActionRequest, Actor, CaseFacts, check

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jiaxing-2015-90.yaml"
TODAY = date(2021, 3, 15)
EXPERT, OTHER, CITY = 31, 32, 40
CRITERIA = (("premises", 25), ("team_mentors", 25), ("services", 25), ("incubation", 25))
FULL = {"premises": 20, "team_mentors": 21, "services": 22, "incubation": 23}


# --------------------------------------------------------------------------- catalogue


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


def _program(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(p for p in data["programs"] if p["code"] == code)


def _load(data: dict[str, Any]) -> None:
    catalogue_from_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "x.yaml")


def test_the_expert_programs_have_criteria_summing_to_100_marked_unconfirmed() -> None:
    catalogue = load_catalogue(CATALOGUE)
    for program in catalogue.programs:
        if program.expert_review:
            assert sum(c.max for c in program.expert_criteria) == 100, program.code
            assert all(c.label and c.label_en for c in program.expert_criteria)
            assert program.expert_criteria_confirmed is False
            assert program.expert_criteria_source
        else:
            assert program.expert_criteria == []
    labels = [c.label for c in catalogue.program("makerspace_recognition").expert_criteria]
    assert labels == ["场地与设施", "运营团队与导师", "创业服务与活动", "入驻团队与孵化成效"]


def test_an_expert_program_without_criteria_is_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    del _program(data, "makerspace_recognition")["expert_criteria"]
    with pytest.raises(CatalogueError) as info:
        _load(data)
    assert info.value.location == "programs[0].expert_criteria"
    assert "须列出评审指标" in info.value.reason


def test_duplicate_criterion_codes_are_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    criteria = _program(data, "makerspace_recognition")["expert_criteria"]
    criteria[1]["code"] = criteria[0]["code"]
    with pytest.raises(CatalogueError) as info:
        _load(data)
    assert info.value.location == "programs[0].expert_criteria[1].code"
    assert "重复" in info.value.reason


def test_maxima_that_do_not_sum_to_100_are_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    _program(data, "famous_space_introduction")["expert_criteria"][0]["max"] = 31
    with pytest.raises(CatalogueError) as info:
        _load(data)
    assert "合计为 101，应为 100" in info.value.reason


@pytest.mark.parametrize("bad", [0, -5, 12.5, "25"])
def test_a_maximum_is_a_positive_whole_number(raw: dict[str, Any], bad: object) -> None:
    data = copy.deepcopy(raw)
    _program(data, "makerspace_recognition")["expert_criteria"][0]["max"] = bad
    with pytest.raises(CatalogueError) as info:
        _load(data)
    assert info.value.location == "programs[0].expert_criteria[0].max"


def test_criteria_on_a_program_without_expert_review_are_refused(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    grant = _program(data, "graduate_startup_grant")
    grant["expert_criteria"] = [{"code": "all", "label": "总体", "max": 100}]
    grant["expert_criteria_source"] = "test"
    with pytest.raises(CatalogueError) as info:
        _load(data)
    assert "没有专家评审的事项不能设置评审指标" in info.value.reason


# --------------------------------------------------------------------------- guards


def _facts(**changes: object) -> CaseFacts:
    base = CaseFacts(
        id=9,
        workflow_id="expert-v1",
        state="county_approved",
        version=4,
        district="330402",
        organization_id=500,
        assigned_expert_ids=frozenset({EXPERT, OTHER}),
        expert_criteria=CRITERIA,
        min_expert_scores=1,
    )
    return dataclasses.replace(base, **changes)


def _expert(user_id: int = EXPERT) -> Actor:
    return Actor(user_id=user_id, roles=frozenset({"expert"}))


def _score(case: CaseFacts, actor: Actor | None = None, **req: Any) -> list[str]:
    fields: dict[str, Any] = {"scores": dict(FULL), "expert_opinion": "运营规范。"}
    fields.update(req)
    request = ActionRequest(action="expert_score", today=TODAY, version=case.version, **fields)
    decision = check("expert_score", actor or _expert(), case, request)
    return [f.guard for f in decision.failures]


def test_every_criterion_scored_with_an_opinion_is_allowed() -> None:
    assert _score(_facts()) == []


def test_a_missing_and_an_unknown_criterion_are_each_named() -> None:
    scores = {k: v for k, v in FULL.items() if k != "services"} | {"charisma": 5}
    assert _score(_facts(), scores=scores) == ["scores.services", "scores.charisma"]


def test_a_blank_opinion_is_refused() -> None:
    assert _score(_facts(), expert_opinion="  ") == ["opinion"]


def test_a_typed_total_is_refused() -> None:
    assert _score(_facts(), score=86) == ["score"]


def test_a_conflict_needs_no_scores_nor_opinion_but_refuses_scores_with_it() -> None:
    assert _score(_facts(), scores=None, expert_opinion=None, conflict_declared=True) == []
    assert _score(_facts(), conflict_declared=True) == ["scores"]


def test_a_recused_expert_can_neither_score_nor_recuse_again() -> None:
    case = _facts(recused_expert_ids=frozenset({EXPERT}))
    assert _score(case) == ["expert_recused"]
    assert _score(case, scores=None, conflict_declared=True) == ["expert_recused"]
    probe = check("expert_score", _expert(), case, None)
    assert not probe.allowed


def _conclude(case: CaseFacts) -> list[str]:
    city = Actor(user_id=CITY, roles=frozenset({"city_reviewer"}))
    request = ActionRequest(action="expert_conclude", today=TODAY, version=case.version)
    return [f.guard for f in check("expert_conclude", city, case, request).failures]


def test_the_review_concludes_only_when_every_expert_still_assigned_has_scored() -> None:
    one_scored = _facts(scored_expert_ids=frozenset({EXPERT}), expert_scores=1)
    assert _conclude(one_scored) == ["experts_pending"]
    # The other expert declared 回避: they are no longer waited for.
    recused = dataclasses.replace(one_scored, recused_expert_ids=frozenset({OTHER}))
    assert _conclude(recused) == []


def test_a_recusal_is_no_score_towards_the_minimum() -> None:
    case = _facts(
        min_expert_scores=2,
        expert_scores=1,
        scored_expert_ids=frozenset({EXPERT}),
        recused_expert_ids=frozenset({OTHER}),
    )
    assert _conclude(case) == ["min_expert_scores"]
