"""One unit of work (工作单元): the one owner of a transaction.

Every write runs inside ``with unit_of_work():`` — directly, or through an operation
decorated with :func:`operation`. The outermost unit commits once when its block ends, or
rolls everything back when the block raises; a unit opened inside another joins it (one
transaction, one commit). Effects that must only follow a commit — mail delivery, jobs
handed to the worker, caches to forget — are registered with :meth:`Work.after_commit`
and run once the commit has succeeded, never after a rollback; one that fails is logged
and never undoes what was committed.

A write that must be kept although the operation refuses (a failed login counted, say)
calls :meth:`Work.refuse`: the unit commits, then raises the refusal.

No view, form or template opens a transaction; only operations do.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from zhongchuang.errors import VersionConflict
from zhongchuang.extensions import db

log = logging.getLogger("zhongchuang.uow")

_KEY = "zc_unit_of_work"
P = ParamSpec("P")
R = TypeVar("R")


class Work:
    """The open unit: what runs after its commit, and a refusal to raise after it."""

    def __init__(self) -> None:
        self._after: list[Callable[[], object]] = []
        self._refusal: BaseException | None = None

    def after_commit(self, hook: Callable[[], object], *, once: bool = False) -> None:
        """Run ``hook`` after the unit's commit (``once``: not if it is already queued)."""
        if once and hook in self._after:
            return
        self._after.append(hook)

    def refuse(self, error: BaseException) -> None:
        """Commit what the unit wrote, then raise ``error`` to the caller."""
        self._refusal = error

    @contextmanager
    def savepoint(self, what: str) -> Iterator[None]:
        """A part that may fail on its own: on an error its writes are undone and the
        error logged, the rest of the unit goes on (e.g. a notification)."""
        nested = db.session.begin_nested()
        try:
            yield
            nested.commit()
        except Exception:
            log.exception("%s failed; the rest of the transaction goes on", what)
            nested.rollback()

    def _run_after_commit(self) -> None:
        for hook in self._after:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook %r failed", hook)


def current() -> Work | None:
    """The unit of work open in this session, if any."""
    work = db.session.info.get(_KEY)
    return work if isinstance(work, Work) else None


@contextmanager
def unit_of_work() -> Iterator[Work]:
    """Open a unit of work, or join the one already open."""
    outer = current()
    if outer is not None:
        yield outer
        return
    session = db.session
    work = Work()
    session.info[_KEY] = work
    try:
        yield work
        try:
            session.commit()
        except StaleDataError as exc:
            raise VersionConflict() from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_KEY, None)
    work._run_after_commit()
    if work._refusal is not None:
        raise work._refusal


@contextmanager
def separately() -> Iterator[Work]:
    """A part that succeeds or fails on its own (one case of a batch, say): committed alone
    when no unit is open, a savepoint of the open one otherwise; on an error its writes are
    undone and the error goes on to the caller, who may carry on with the next part."""
    outer = current()
    if outer is None:
        with unit_of_work() as work:
            yield work
        return
    nested = db.session.begin_nested()
    try:
        yield outer
    except BaseException:
        nested.rollback()
        raise
    nested.commit()


def discard() -> None:
    """Undo what an interrupted request left in the session (the error handlers' last
    resort: the connection itself may be gone)."""
    with contextlib.suppress(Exception):
        db.session.rollback()


def operation(fn: Callable[P, R]) -> Callable[P, R]:
    """Mark a function as an operation (a write): it runs in one unit of work."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return fn(*args, **kwargs)

    return run


def after_commit(hook: Callable[[], object], *, once: bool = False) -> None:
    """Register ``hook`` on the open unit, or run it now when none is open (reads)."""
    work = current()
    if work is None:
        hook()
    else:
        work.after_commit(hook, once=once)
