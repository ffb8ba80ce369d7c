"""The one transaction owner: commits once, rolls back whole, runs its hooks only after a
commit, joins when nested, keeps a refused operation's record, isolates a failing part."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from zhongchuang.extensions import db
from zhongchuang.models import OutboxMail
from zhongchuang.runtime import now
from zhongchuang.uow import after_commit, current, operation, unit_of_work


def _mail(to: str) -> OutboxMail:
    mail = OutboxMail(
        to_address=to, subject="s", body="b", status="pending", attempts=0, created_at=now()
    )
    db.session.add(mail)
    db.session.flush()
    return mail


def _kept() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.execute(sa.select(OutboxMail.to_address)).scalars())


@pytest.fixture
def commits(app):
    seen: list[int] = []
    listener = lambda _session: seen.append(1)  # noqa: E731
    event.listen(db.session, "after_commit", listener)
    yield seen
    event.remove(db.session, "after_commit", listener)


def test_nested_units_commit_once_and_hooks_run_after_it(commits):
    order: list[str] = []

    @operation
    def inner() -> None:
        _mail("inner@example.test")
        assert current() is not None
        current().after_commit(lambda: order.append(f"hook after {len(commits)} commit"))

    with unit_of_work():
        _mail("outer@example.test")
        inner()
        inner()
        assert commits == []
    assert commits == [1]
    assert order == ["hook after 1 commit"] * 2
    assert _kept() == ["inner@example.test", "inner@example.test", "outer@example.test"]
    assert current() is None


def test_an_error_rolls_back_everything_and_runs_no_hook(commits):
    hooks: list[str] = []

    @operation
    def failing() -> None:
        _mail("lost@example.test")
        after_commit(lambda: hooks.append("ran"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing()
    assert commits == []
    assert hooks == []
    assert _kept() == []
    assert current() is None


def test_a_refusal_keeps_what_was_written_then_raises(commits):
    @operation
    def login_refused() -> None:
        _mail("counted@example.test")
        current().refuse(ValueError("refused"))

    with pytest.raises(ValueError, match="refused"):
        login_refused()
    assert commits == [1]
    assert _kept() == ["counted@example.test"]


def test_a_failing_part_in_a_savepoint_undoes_only_itself(commits):
    with unit_of_work() as work:
        _mail("kept@example.test")
        with work.savepoint("a notification"):
            _mail("dropped@example.test")
            raise RuntimeError("mail queue down")
    assert commits == [1]
    assert _kept() == ["kept@example.test"]


def test_a_failing_hook_does_not_undo_the_commit_nor_stop_the_others(commits):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("smtp down")

    with unit_of_work() as work:
        _mail("sent@example.test")
        work.after_commit(broken)
        work.after_commit(lambda: ran.append("second"))
    assert ran == ["second"]
    assert _kept() == ["sent@example.test"]
