"""Key rotation for encrypted identity numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa

from zhongchuang.audit import chain as audit
from zhongchuang.extensions import db
from zhongchuang.models import Person, RosterRow
from zhongchuang.runtime import vault
from zhongchuang.uow import operation


@operation
def rotate_all(batch: int = 1000) -> int:
    """Re-encrypt every identity number under the newest key; one audit event. One unit of
    work: every page of rows is flushed as it is done, all of it committed once at the end
    (a failure part-way leaves every number under its old key)."""
    v = vault()
    count = 0
    models: tuple[type[Person] | type[RosterRow], ...] = (Person, RosterRow)
    for model in models:
        last = 0
        while True:
            rows = cast(
                "Sequence[Person | RosterRow]",
                db.session.execute(
                    sa.select(model)
                    .where(model.id > last, model.id_number_enc.is_not(None))
                    .order_by(model.id)
                    .limit(batch)
                )
                .scalars()
                .all(),
            )
            if not rows:
                break
            for row in rows:
                assert row.id_number_enc is not None
                row.id_number_enc = v.rotate(row.id_number_enc)
                count += 1
            last = rows[-1].id
            db.session.flush()
    audit.record("admin.id_key_rotation", actor_name="cli", details={"count": count})
    return count
