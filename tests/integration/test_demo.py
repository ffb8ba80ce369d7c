"""The demo seed: one account per role, open batches, a case in every state."""

from __future__ import annotations

import sqlalchemy as sa

from zhongchuang.extensions import db
from zhongchuang.models import STATES, Application, MakerSpace
from zhongchuang.services import audit, demo


def test_demo_seed_gives_a_living_system(app, client):
    report = demo.seed()
    states = set(db.session.execute(sa.select(Application.state)).scalars())
    assert states == set(STATES)
    assert db.session.execute(sa.select(sa.func.count()).select_from(MakerSpace)).scalar() == 1
    assert audit.verify().ok
    # The clock is back on the demo day, and the demo accounts can log in.
    assert app.extensions["zc_clock"].today().isoformat() == "2021-03-15"
    resp = client.post("/api/v1/tokens", json={"username": "city", "password": demo.DEMO_PASSWORD})
    assert resp.status_code == 201
    assert {u for u, _ in report.accounts} >= {
        "admin",
        "city",
        "nanhu",
        "xiuzhou",
        "expert1",
        "finance",
        "operator",
        "enterprise",
        "graduate",
    }
    assert not demo.is_empty()
