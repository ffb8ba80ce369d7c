"""Schemathesis against the served OpenAPI document: every operation, a bounded number of
generated requests (valid and invalid), authenticated as a seeded user of the right role.
No answer may be a 5xx, and every answer must be one the document declares, with its
declared content type and schema. SQLite only (one backend is enough for the document)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks

from tests.helpers import attach_for_submit
from zhongchuang.accounts import operations as accounts
from zhongchuang.cases import engine as cases
from zhongchuang.catalogue import batches
from zhongchuang.extensions import db
from zhongchuang.models import User, UserRole
from zhongchuang.policy.identity import make_credit_code

#: Valid requests: every answer is declared, with its content type, headers and schema, and
#: an operation that needs a token refuses a request without one.
POSITIVE_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.ignored_auth,
]
#: Invalid requests (outside the document: a broken path may even reach another route, e.g.
#: 405) must be refused with a 4xx, never a 5xx; declared answers still match their schema.
NEGATIVE_CHECKS = [
    checks.not_a_server_error,
    checks.negative_data_rejection,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def fuzz_world(app, backend: str, factory) -> dict:
    if backend != "sqlite":
        pytest.skip("the API document is fuzzed once, on SQLite")
    admin = factory.staff("admin", username="fuzz_admin")
    batches.create_batch(
        admin,
        "employment_driving_grant",
        2021,
        date(2021, 3, 1),
        date(2021, 4, 30),
        Decimal("100000.00"),
    )
    applicant = factory.person(name="陈小红", username="fuzz_person")
    users = {
        "admin": admin,
        "applicant": applicant,
        "county_reviewer": factory.staff(
            "county_reviewer", district="330411", username="fuzz_county"
        ),
        "city_reviewer": factory.staff("city_reviewer", username="fuzz_city"),
    }
    code = make_credit_code("330411", "MA1000001")
    draft = cases.create_draft(
        applicant,
        "employment_driving_grant",
        {"business_credit_code": code, "year": 2020, "employees_insured": 5},
    )
    submitted = cases.create_draft(
        applicant,
        "employment_driving_grant",
        {"business_credit_code": code, "year": 2019, "employees_insured": 4},
    )
    attach_for_submit(submitted, applicant)
    cases.act(applicant, submitted.id, "submit")
    roles = {u.id: list(u.roles) for u in users.values()}
    return {"users": users, "roles": roles, "ids": (draft.id, submitted.id)}


def _role_for(method: str, path: str) -> str:
    """Whose token a generated request carries: the role the operation is meant for."""
    if path.startswith(("/api/v1/users", "/api/v1/batches", "/api/v1/audit", "/api/v1/stats")):
        return "admin"
    if path.endswith("/experts") or (path == "/api/v1/notices" and method == "POST"):
        return "city_reviewer"
    if path.endswith("/audit"):
        return "county_reviewer"
    if path.startswith("/api/v1/applications"):
        return "applicant"
    return "admin"


def _restore(world: dict) -> None:
    """Generated PATCH /users may switch a seeded user off or change their roles: put them
    back, so that every operation is reached with a working token."""
    for user in world["users"].values():
        row = db.session.get(User, user.id)
        if not row.active or sorted(row.roles) != sorted(world["roles"][row.id]):
            row.active = True
            row.role_rows = [UserRole(role=r) for r in world["roles"][row.id]]
            if row.has_role("county_reviewer"):
                row.district = "330411"
            db.session.commit()


POSITIVE_EXAMPLES = 15
NEGATIVE_EXAMPLES = 6
#: Valid requests on the seeded cases themselves (a random id mostly meets a 404).
PINNED_EXAMPLES = 6
FUZZ_SETTINGS = {
    "derandomize": True,
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "phases": [Phase.explicit, Phase.generate],
}


def _negatable(operation: schemathesis.APIOperation) -> bool:
    """Whether invalid requests can be made at all (a free string in the path cannot be
    invalid: an empty one is not a request to this operation)."""
    if len(operation.body) or len(operation.query):
        return True
    return any(
        p.definition.get("schema", {}).get("type") != "string"
        or "enum" in p.definition.get("schema", {})
        for p in operation.path_parameters
    )


def _fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    world: dict,
    case_id: int | None = None,
) -> None:
    examples, checklist = (
        (POSITIVE_EXAMPLES, POSITIVE_CHECKS)
        if mode is GenerationMode.POSITIVE
        else (NEGATIVE_EXAMPLES, NEGATIVE_CHECKS)
    )
    pinned = {"case_id": case_id} if case_id is not None else None
    if pinned:
        examples = PINNED_EXAMPLES
    role = _role_for(operation.method.upper(), operation.path)
    user = world["users"][role]
    # A token per run; DELETE /tokens/current revokes its own, so it gets one per request.
    revokes = operation.path.endswith("/tokens/current")
    changes_users = operation.path.startswith("/api/v1/users/")
    _restore(world)
    token, _expires = accounts.issue_token(user)

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=pinned))
    @settings(max_examples=examples, **FUZZ_SETTINGS)
    def run(case: schemathesis.Case) -> None:
        bearer = accounts.issue_token(user)[0] if revokes else token
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"}, checks=checklist)
        finally:
            db.session.rollback()
            if changes_users:
                _restore(world)

    run()


def test_every_operation_answers_as_documented(app, fuzz_world):
    """Each operation of the document, with valid then invalid generated requests."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        runs: list[tuple[GenerationMode, int | None]] = [(GenerationMode.POSITIVE, None)]
        if "{case_id}" in operation.path:
            runs += [(GenerationMode.POSITIVE, case_id) for case_id in fuzz_world["ids"]]
        if _negatable(operation):
            runs.append((GenerationMode.NEGATIVE, None))
        for mode, case_id in runs:
            try:
                _fuzz(operation, mode, fuzz_world, case_id)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported below
                label = f"{operation.label} ({mode.value}{f', case {case_id}' if case_id else ''})"
                failures[label] = str(exc)[:3000]
    assert operations >= 35
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
