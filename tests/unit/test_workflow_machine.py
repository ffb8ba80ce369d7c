"""The workflow definitions: states, labels, topology from ``transitions``, diagrams."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from transitions import Machine

from zhongchuang import errors
from zhongchuang.workflow import machine
from zhongchuang.workflow.machine import (
    ACTIONS,
    STATES,
    TRANSITIONS,
    WORKFLOWS,
    action_label,
    actions_from,
    current_workflow_for,
    fallback_svg,
    get_action,
    get_workflow,
    next_state,
    state_label,
    to_dot,
    to_svg,
    waiting_role,
)

LABELS_ZH = {
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "退回补正",
    "accepted": "已受理",
    "county_approved": "初审通过",
    "expert_reviewed": "专家评审完成",
    "city_approved": "复审通过",
    "in_notice": "公示中",
    "approved": "核准",
    "disbursed": "已拨付",
    "rejected": "不予支持",
    "withdrawn": "已撤回",
    "declined": "不予受理",
}

PATHS = {
    "standard-v1": [
        ("draft", "submit", "submitted"),
        ("submitted", "return", "returned"),
        ("returned", "submit", "submitted"),
        ("submitted", "accept", "accepted"),
        ("accepted", "county_approve", "county_approved"),
        ("county_approved", "city_approve", "city_approved"),
        ("city_approved", "publish", "in_notice"),
        ("in_notice", "dismiss_objection", "in_notice"),
        ("in_notice", "conclude_notice", "approved"),
        ("approved", "disburse", "disbursed"),
    ],
    "expert-v1": [
        ("draft", "submit", "submitted"),
        ("submitted", "accept", "accepted"),
        ("accepted", "county_approve", "county_approved"),
        ("county_approved", "expert_score", "county_approved"),
        ("county_approved", "expert_conclude", "expert_reviewed"),
        ("expert_reviewed", "city_approve", "city_approved"),
        ("city_approved", "publish", "in_notice"),
        ("in_notice", "uphold_objection", "rejected"),
    ],
}


def test_states_have_chinese_and_english_labels() -> None:
    assert {s: zh for s, (zh, _) in STATES.items()} == LABELS_ZH
    for state in STATES:
        assert state_label(state) == LABELS_ZH[state]
        assert state_label(state, "en")
        assert state_label(state, "en") != LABELS_ZH[state]


def test_actions_are_declared_as_data() -> None:
    assert isinstance(TRANSITIONS, list)
    assert all(isinstance(t, dict) for t in TRANSITIONS)
    assert len(set(ACTIONS)) == len(ACTIONS) == 17
    for raw in TRANSITIONS:
        assert {"action", "sources", "dest", "roles", "label"} <= raw.keys()
        assert action_label(raw["action"]) == raw["label"][0]
        assert action_label(raw["action"], "en") == raw["label"][1]


def test_two_versioned_workflows() -> None:
    standard, expert = get_workflow("standard-v1"), get_workflow("expert-v1")
    assert "expert_reviewed" not in standard.states
    assert {"expert_score", "expert_conclude"}.isdisjoint(standard.actions)
    # The first release's definitions never change: no 不予受理 in them.
    assert set(expert.states) == set(STATES) - {"declined"}
    assert set(expert.actions) == set(ACTIONS) - {"decline"}
    with pytest.raises(KeyError):
        get_workflow("standard-v0")


def test_release_two_workflows_and_what_new_cases_start_with() -> None:
    assert set(WORKFLOWS) == {
        "standard-v1",
        "expert-v1",
        "standard-v2",
        "expert-v2",
        "recognition-v1",
    }
    assert current_workflow_for(expert_review=False) == "standard-v2"
    assert current_workflow_for(expert_review=True) == "expert-v2"
    assert current_workflow_for(True, "recognition") == "recognition-v1"
    expert = get_workflow("expert-v2")
    assert set(expert.states) == set(STATES)
    assert set(expert.actions) == set(ACTIONS)
    assert expert.final_states == {"disbursed", "rejected", "withdrawn", "declined"}


def test_a_recognition_ends_approved_and_never_pays() -> None:
    wf = get_workflow("recognition-v1")
    assert wf.outcome == "recognition"
    assert "disbursed" not in wf.states
    assert "disburse" not in wf.actions
    assert "approved" in wf.final_states
    assert waiting_role("approved", "recognition-v1") is None
    assert waiting_role("approved", "expert-v2") == "finance"
    assert state_label("approved", workflow_id="recognition-v1") == "已认定"
    assert state_label("approved", "en", "recognition-v1") == "Recognised"
    assert "已拨付" not in to_svg("recognition-v1")


def test_each_workflow_is_a_transitions_machine_without_auto_transitions() -> None:
    for wf in WORKFLOWS.values():
        assert isinstance(wf.machine, Machine)
        assert set(wf.machine.states) == set(wf.states)
        assert not any(t.startswith("to_") for t in wf.machine.events)
        assert set(wf.machine.events) == set(wf.actions)


@pytest.mark.parametrize(
    ("workflow_id", "state", "action", "dest"),
    [(w, s, a, d) for w, path in PATHS.items() for s, a, d in path],
)
def test_next_state_follows_the_design(
    workflow_id: str, state: str, action: str, dest: str
) -> None:
    assert next_state(workflow_id, state, action) == dest


@pytest.mark.parametrize(
    ("workflow_id", "state", "action"),
    [
        ("standard-v1", "draft", "accept"),
        ("standard-v1", "county_approved", "expert_conclude"),
        ("standard-v1", "expert_reviewed", "city_approve"),
        ("expert-v1", "county_approved", "city_approve"),
        ("expert-v1", "disbursed", "disburse"),
        ("expert-v1", "draft", "no_such_action"),
        ("expert-v1", "no_such_state", "submit"),
    ],
)
def test_next_state_refuses_what_is_not_declared(workflow_id: str, state: str, action: str) -> None:
    with pytest.raises(errors.InvalidTransition):
        next_state(workflow_id, state, action)


def test_every_declared_source_leads_somewhere_in_the_machine() -> None:
    for wf in WORKFLOWS.values():
        for spec in wf.actions.values():
            for source in spec.sources:
                dest = next_state(wf.id, source, spec.action)
                assert dest in wf.states
                assert dest == (spec.dest or source)


def test_final_states_have_no_way_out() -> None:
    for wf in WORKFLOWS.values():
        for state in ("disbursed", "rejected", "withdrawn"):
            assert actions_from(wf.id, state) == []


def test_actions_from() -> None:
    assert actions_from("standard-v1", "accepted") == ["return", "county_approve", "county_reject"]
    assert actions_from("expert-v1", "county_approved") == [
        "expert_score",
        "expert_conclude",
        "city_reject",
    ]
    assert actions_from("standard-v1", "county_approved") == ["city_approve", "city_reject"]
    assert actions_from("standard-v1", "in_notice") == [
        "conclude_notice",
        "uphold_objection",
        "dismiss_objection",
    ]


def test_action_specs_carry_their_requirements() -> None:
    approve = get_action("expert-v1", "city_approve")
    assert approve is not None
    assert approve.reserves
    assert approve.requires_amount
    uphold = get_action("standard-v1", "uphold_objection")
    assert uphold is not None
    assert uphold.releases
    assert uphold.needs_reason
    assert uphold.needs_articles
    disburse = get_action("standard-v1", "disburse")
    assert disburse is not None
    assert disburse.consumes
    assert disburse.requires_payment_reference
    conclude = get_action("standard-v1", "conclude_notice")
    assert conclude is not None
    assert conclude.system
    score = get_action("expert-v1", "expert_score")
    assert score is not None
    assert not score.changes_state
    assert get_action("standard-v1", "expert_score") is None


def test_waiting_role() -> None:
    assert waiting_role("draft") == "applicant"
    assert waiting_role("returned") == "applicant"
    assert waiting_role("submitted") == "county_reviewer"
    assert waiting_role("accepted") == "county_reviewer"
    assert waiting_role("county_approved") == "city_reviewer"
    assert waiting_role("in_notice") == "city_reviewer"
    assert waiting_role("approved") == "finance"
    assert waiting_role("disbursed") is None
    assert waiting_role("rejected") is None
    with pytest.raises(KeyError):
        waiting_role("limbo")


def test_dot_has_every_state_and_edge_with_chinese_labels() -> None:
    dot = to_dot("expert-v2")
    assert dot.startswith('digraph "expert-v2" {')
    for state, zh in LABELS_ZH.items():
        assert f'"{state}" [label="{zh}\\n{state}"' in dot
    assert '"county_approved" -> "expert_reviewed" [label="完成专家评审"]' in dot
    assert '"county_approved" -> "county_approved" [label="专家评分", style=dashed]' in dot
    assert "expert_reviewed" not in to_dot("standard-v1")
    assert 'label="Submit"' in to_dot("standard-v1", "en")


def _parse_svg(svg: str) -> ET.Element:
    root = ET.fromstring(svg.encode("utf-8"))  # noqa: S314 — our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


@pytest.mark.parametrize("workflow_id", sorted(WORKFLOWS))
def test_svg_is_valid_xml_with_chinese_labels(workflow_id: str) -> None:
    svg = to_svg(workflow_id)
    root = _parse_svg(svg)
    text = "".join(root.itertext())
    for state in get_workflow(workflow_id).states:
        assert LABELS_ZH[state] in text


@pytest.mark.parametrize("workflow_id", sorted(WORKFLOWS))
def test_fallback_svg_is_valid_xml_with_chinese_labels(workflow_id: str) -> None:
    root = _parse_svg(fallback_svg(workflow_id))
    text = "".join(root.itertext())
    for state in get_workflow(workflow_id).states:
        assert LABELS_ZH[state] in text
    assert "提交申报" in text
    assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) == len(
        get_workflow(workflow_id).states
    )


def test_svg_falls_back_without_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine.shutil, "which", lambda _name: None)
    machine.to_svg.cache_clear()
    try:
        svg = to_svg("standard-v1")
    finally:
        machine.to_svg.cache_clear()
    assert svg == fallback_svg("standard-v1")


def test_fallback_svg_escapes_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        machine.STATES, "draft", ('草稿 <"&">', "Draft")
    )  # a label that needs escaping
    root = _parse_svg(fallback_svg("standard-v1"))
    assert '草稿 <"&">' in "".join(root.itertext())
