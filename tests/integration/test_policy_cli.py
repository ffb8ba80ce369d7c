"""``flask policy load`` / ``show`` as an administrator uses them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.conftest import CATALOGUE, clean_tables
from zhongchuang.catalogue.loading import load_catalogue_file
from zhongchuang.extensions import db
from zhongchuang.models import Article, CatalogueVersion, Parameter, Program


def cli(app, *args: str):
    return CliRunner().invoke(app.cli, list(args), catch_exceptions=False)


@pytest.fixture
def reload_catalogue(app):
    """Tests here change the catalogue: put the original back afterwards."""
    yield
    db.session.remove()
    clean_tables(keep_catalogue=False)
    load_catalogue_file(str(CATALOGUE))


def param(code: str, name: str) -> list[tuple[str, date, date | None]]:
    rows = db.session.execute(
        sa.select(Parameter.value, Parameter.valid_from, Parameter.valid_to)
        .join(Program, Program.id == Parameter.program_id)
        .where(Program.code == code, Parameter.name == name)
        .order_by(Parameter.valid_from)
    ).all()
    return [tuple(r) for r in rows]


def test_loading_the_same_file_twice_changes_nothing(app, reload_catalogue):
    before = db.session.execute(sa.select(sa.func.count()).select_from(Parameter)).scalar()
    out = cli(app, "policy", "load", str(CATALOGUE))
    assert out.exit_code == 0
    assert "未变化" in out.output
    after = db.session.execute(sa.select(sa.func.count()).select_from(Parameter)).scalar()
    assert before == after
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(CatalogueVersion)).scalar() == 1
    )


def test_a_changed_value_is_versioned_not_rewritten(app, clock, tmp_path: Path, reload_catalogue):
    text = CATALOGUE.read_text(encoding="utf-8")
    marker = "      - name: grant_amount\n"
    assert marker in text
    head, tail = text.split(marker, 1)
    tail = tail.replace('value: "5000.00"', 'value: "6000.00"', 1)
    changed = tmp_path / "changed.yaml"
    changed.write_text(head + marker + tail, encoding="utf-8")
    clock.set_today(date(2021, 6, 1))
    out = cli(app, "policy", "load", str(changed))
    assert out.exit_code == 0, out.output
    assert "graduate_startup_grant.grant_amount" in out.output
    history = param("graduate_startup_grant", "grant_amount")
    assert [v for v, _f, _t in history] == ["5000.00", "6000.00"]
    assert history[0][2] == date(2021, 5, 31)  # the old value still holds for its period
    assert history[1][1] == date(2021, 6, 1)
    # Loading the changed file again is idempotent.
    assert "未变化" in cli(app, "policy", "load", str(changed)).output
    assert len(param("graduate_startup_grant", "grant_amount")) == 2


def test_a_malformed_file_is_refused_whole_with_where_and_why(app, tmp_path: Path):
    text = CATALOGUE.read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    # A rule of an unknown kind, and an article text changed: nothing may be written.
    broken.write_text(
        text.replace("kind: field_min", "kind: no_such_rule", 1).replace(
            "一、重要意义", "一、被改动的标题", 1
        ),
        encoding="utf-8",
    )
    out = CliRunner().invoke(app.cli, ["policy", "load", str(broken)])
    assert out.exit_code == 2
    assert "broken.yaml" in out.stderr
    assert "rules" in out.stderr
    assert "kind" in out.stderr
    titles = db.session.execute(sa.select(Article.text).where(Article.path == "一")).scalar()
    assert "被改动" not in titles


def test_a_file_that_is_not_yaml_is_refused(app, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: [unclosed\n", encoding="utf-8")
    out = CliRunner().invoke(app.cli, ["policy", "load", str(bad)])
    assert out.exit_code == 2
    assert "bad.yaml" in out.stderr


def test_policy_show_prints_the_catalogue_and_marks_unconfirmed_values(app):
    out = cli(app, "policy", "show")
    assert "嘉政办发〔2015〕90号" in out.output
    assert "repealed" in out.output
    assert "UNCONFIRMED" in out.output
    assert "graduate_social_insurance" in out.output
