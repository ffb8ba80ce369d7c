"""Loading a policy catalogue file into the database, idempotently.

A changed file versions parameters instead of rewriting history: a value that changes for
a period already in effect is closed the day before the load and the new value starts on
the load date; cases keep the snapshot they were judged by. A malformed file is refused
whole (the policy package says where and why) and nothing is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from zhongchuang.audit import chain as audit
from zhongchuang.extensions import db
from zhongchuang.models import (
    Article,
    CatalogueVersion,
    Parameter,
    Policy,
    PolicyEvent,
    Program,
    User,
)
from zhongchuang.policy.catalogue import (
    Catalogue,
    CatalogueError,
    ParameterSpec,
    catalogue_from_text,
)
from zhongchuang.policy.parameters import holds_on
from zhongchuang.runtime import now, today
from zhongchuang.uow import operation


@dataclass
class LoadReport:
    policy_id: int
    version_id: int
    unchanged: bool
    articles: int = 0
    programs: int = 0
    parameters_added: list[str] = field(default_factory=list)
    parameters_versioned: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.unchanged:
            return "目录未变化，未作修改 / catalogue unchanged, nothing written"
        return (
            f"已载入：{self.articles} 条条款，{self.programs} 个扶持事项，"
            f"新增参数 {len(self.parameters_added)} 项，"
            f"按期更新参数 {len(self.parameters_versioned)} 项"
        )


def read_catalogue_text(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogueError(
            path, "", f"无法读取文件 / cannot read the file: {exc.strerror}"
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogueError(path, "", "文件不是 UTF-8 编码 / the file is not UTF-8") from None


def load_catalogue_file(path: str, by: User | None = None) -> LoadReport:
    text = read_catalogue_text(path)
    return load_catalogue_text(text, Path(path).name, by=by)


@operation
def load_catalogue_text(text: str, filename: str, by: User | None = None) -> LoadReport:
    catalogue = catalogue_from_text(text, filename)  # refuses a bad file whole
    digest = hashlib.sha256(text.encode()).hexdigest()
    version = db.session.execute(
        sa.select(CatalogueVersion).where(CatalogueVersion.sha256 == digest)
    ).scalar_one_or_none()
    policy = db.session.execute(
        sa.select(Policy).where(Policy.doc_number == catalogue.policy.doc_number)
    ).scalar_one_or_none()
    if version is not None and policy is not None and policy.catalogue_version_id == version.id:
        return LoadReport(policy_id=policy.id, version_id=version.id, unchanged=True)
    if version is None:
        version = CatalogueVersion(
            sha256=digest,
            label=catalogue.catalogue_version,
            filename=filename,
            content=text,
            loaded_at=now(),
            loaded_by=by.username if by else "cli",
        )
        db.session.add(version)
        db.session.flush()
    report = LoadReport(policy_id=0, version_id=version.id, unchanged=False)
    policy = _upsert_policy(catalogue, policy, version)
    report.policy_id = policy.id
    report.articles = _upsert_articles(catalogue, policy)
    programs = _upsert_programs(catalogue, policy, version)
    report.programs = len(programs)
    _upsert_parameters(catalogue, policy, programs, version, report)
    audit.record(
        "catalogue.load",
        actor=by,
        role="admin" if by else None,
        actor_name=None if by else "cli",
        details={
            "file": filename,
            "sha256": digest,
            "version": catalogue.catalogue_version,
            "parameters_added": report.parameters_added,
            "parameters_versioned": report.parameters_versioned,
        },
    )
    return report


def _upsert_policy(cat: Catalogue, policy: Policy | None, version: CatalogueVersion) -> Policy:
    spec = cat.policy
    if policy is None:
        policy = Policy(doc_number=spec.doc_number)
        db.session.add(policy)
    policy.title = spec.title
    policy.issuer = spec.issuer
    policy.based_on = [d.doc_number for d in spec.based_on]
    policy.notes = spec.note
    policy.catalogue_version_id = version.id
    policy.events = [
        PolicyEvent(
            date=e.date, kind=e.kind, document=e.document, confirmed=e.confirmed, note=e.note
        )
        for e in spec.events
    ]
    db.session.flush()
    return policy


def _upsert_articles(cat: Catalogue, policy: Policy) -> int:
    existing = {
        a.path: a
        for a in db.session.execute(
            sa.select(Article).where(Article.policy_id == policy.id)
        ).scalars()
    }
    for pos, spec in enumerate(cat.articles):
        art = existing.get(spec.path)
        if art is None:
            art = Article(policy_id=policy.id, path=spec.path)
            db.session.add(art)
        art.title = spec.title
        art.text = spec.text
        art.position = pos
        art.incomplete = spec.incomplete
        art.note = spec.note
    db.session.flush()
    return len(cat.articles)


def _upsert_programs(
    cat: Catalogue, policy: Policy, version: CatalogueVersion
) -> dict[str, Program]:
    out: dict[str, Program] = {}
    for spec in cat.programs:
        prog = db.session.execute(
            sa.select(Program).where(Program.code == spec.code)
        ).scalar_one_or_none()
        if prog is None:
            prog = Program(code=spec.code, policy_id=policy.id)
            db.session.add(prog)
        prog.policy_id = policy.id
        prog.name = spec.name
        prog.expert_review = spec.expert_review
        prog.workflow = spec.workflow
        prog.outcome = spec.outcome
        prog.definition = spec.model_dump(mode="json", by_alias=True, exclude={"parameters"})
        prog.catalogue_version_id = version.id
        out[spec.code] = prog
    db.session.flush()
    return out


def _same(a: Decimal | int, b: str) -> bool:
    return Decimal(str(a)) == Decimal(b)


@dataclass
class _ParameterScope:
    """One scope of parameters being loaded: policy-wide (``program`` ``None``) or one
    program's. ``rows`` are its stored parameters, and grow as the load adds some."""

    policy: Policy
    program: Program | None
    version: CatalogueVersion
    today: date
    rows: list[Parameter]

    @property
    def program_id(self) -> int | None:
        return self.program.id if self.program else None

    @property
    def label(self) -> str:
        """How the report names the scope: the program's code, ``*`` for policy-wide."""
        return self.program.code if self.program else "*"


def _upsert_parameters(
    cat: Catalogue,
    policy: Policy,
    programs: dict[str, Program],
    version: CatalogueVersion,
    report: LoadReport,
) -> None:
    """Add, correct or version every parameter of the file (policy-wide ones first, then
    each program's), recording in ``report`` which were added and which versioned."""
    t = today()
    groups: list[tuple[Program | None, list[ParameterSpec]]] = [(None, list(cat.parameters))]
    groups += [(programs[p.code], list(p.parameters)) for p in cat.programs]
    for program, specs in groups:
        scope = _ParameterScope(policy, program, version, t, _stored_parameters(policy, program))
        for spec in specs:
            outcome = _upsert_parameter(scope, spec)
            if outcome == "added":
                report.parameters_added.append(f"{scope.label}.{spec.name}")
            elif outcome == "versioned":
                report.parameters_versioned.append(f"{scope.label}.{spec.name}")
    db.session.flush()


def _stored_parameters(policy: Policy, program: Program | None) -> list[Parameter]:
    """The parameters stored for the policy, policy-wide or of ``program``."""
    pid = program.id if program else None
    return list(
        db.session.execute(
            sa.select(Parameter).where(
                Parameter.policy_id == policy.id,
                Parameter.program_id.is_(None) if pid is None else Parameter.program_id == pid,
            )
        ).scalars()
    )


def _upsert_parameter(
    scope: _ParameterScope, spec: ParameterSpec
) -> Literal["added", "versioned"] | None:
    """Bring one parameter of the file into the database; what was done to it (``None``
    when its value was already stored)."""
    same_name = [r for r in scope.rows if r.name == spec.name]
    exact = next((r for r in same_name if r.valid_from == spec.valid_from), None)
    meta = _parameter_meta(spec)
    if exact is not None and _same(spec.value, exact.value):
        for k, v in meta.items():
            setattr(exact, k, v)
        exact.valid_to = (
            spec.valid_to if exact.valid_to is None or spec.valid_to else exact.valid_to
        )
        return None
    t = scope.today
    current = next((r for r in same_name if holds_on(r.valid_from, r.valid_to, t)), None)
    if current is not None and _same(spec.value, current.value) and exact is not None:
        return None  # already versioned by an earlier load of this file
    if exact is None and current is None:
        _add_parameter(scope, spec, meta, valid_from=spec.valid_from)
        return "added"
    target = exact or current
    assert target is not None
    if target.valid_from >= t:
        # Not yet in effect: nothing was judged by it, correct it in place.
        target.value = str(spec.value)
        target.valid_to = spec.valid_to
        for k, v in meta.items():
            setattr(target, k, v)
        target.catalogue_version_id = scope.version.id
    else:
        target.valid_to = t - timedelta(days=1)
        _add_parameter(scope, spec, meta, valid_from=t)
    return "versioned"


def _parameter_meta(spec: ParameterSpec) -> dict[str, Any]:
    """The descriptive columns of a parameter, copied from the file as they are."""
    return {
        "label": spec.label,
        "unit": spec.unit,
        "article": spec.article,
        "source": spec.source,
        "confirmed": spec.confirmed,
    }


def _add_parameter(
    scope: _ParameterScope, spec: ParameterSpec, meta: dict[str, Any], *, valid_from: date
) -> None:
    """Store a new row of ``spec``'s value from ``valid_from`` in the scope."""
    row = Parameter(
        policy_id=scope.policy.id,
        program_id=scope.program_id,
        name=spec.name,
        value=str(spec.value),
        valid_from=valid_from,
        valid_to=spec.valid_to,
        catalogue_version_id=scope.version.id,
        **meta,
    )
    db.session.add(row)
    scope.rows.append(row)
