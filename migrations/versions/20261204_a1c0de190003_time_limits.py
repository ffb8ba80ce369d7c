"""time limits (release 2)

The case's clock (办理时限: 法定时限 and 承诺时限, paused in 补正, 专家评审 and 公示):
``clock_started_on``, ``clock_stopped_on``, ``paused_since``, ``paused_working_days`` and
the limits the case was promised, on ``applications``; ``due_on`` is from 受理 on the
promised limit's day moved by the paused working days, and empty while the clock stands
still or once the case has ended. ``time_limit_reminders`` holds the 80 % and 100 %
reminders, one per case and threshold. ``ix_audit_events_actor_case`` serves 已办.

The backfill replays each case's stays (``case_stays``) through ``workflow.clock``, with
the limits the catalogue gave when this was written (认定、招引 30 / 20, other programs
20 / 15 working days; unconfirmed): the catalogue loaded later does not rewrite them.

Revision ID: a1c0de190003
Revises: a1c0de190002
Create Date: 2026-12-04 05:00:03

"""
from itertools import groupby

from alembic import op
import sqlalchemy as sa
import zhongchuang.models.base

# revision identifiers, used by Alembic.
revision = 'a1c0de190003'
down_revision = 'a1c0de190002'
branch_labels = None
depends_on = None

_CHUNK = 5000
#: (statutory, promised) working days when this migration was written (unconfirmed).
_LONG_LIMITS = {'makerspace_recognition', 'famous_space_introduction'}


def _limits(code):
    return (30, 20) if code in _LONG_LIMITS else (20, 15)


_apps = sa.table(
    'applications',
    sa.column('id', sa.Integer),
    sa.column('program_id', sa.Integer),
    sa.column('state', sa.String),
    sa.column('workflow_id', sa.String),
    sa.column('state_entered_on', sa.Date),
    sa.column('due_on', sa.Date),
    sa.column('clock_started_on', sa.Date),
    sa.column('clock_stopped_on', sa.Date),
    sa.column('paused_since', sa.Date),
    sa.column('paused_working_days', sa.Integer),
    sa.column('statutory_working_days', sa.Integer),
    sa.column('promised_working_days', sa.Integer),
)
_programs = sa.table(
    'programs', sa.column('id', sa.Integer), sa.column('code', sa.String),
    sa.column('outcome', sa.String),
)
_stays = sa.table(
    'case_stays',
    sa.column('id', sa.Integer),
    sa.column('application_id', sa.Integer),
    sa.column('state', sa.String),
    sa.column('left_on', sa.Date),
)


def _backfill(conn):
    from zhongchuang.workflow import clock as rules
    from zhongchuang.workflow.machine import WORKFLOWS, is_final

    last = 0
    while True:
        apps = conn.execute(
            sa.select(
                _apps.c.id, _apps.c.state, _apps.c.workflow_id, _programs.c.code,
                _programs.c.outcome,
            )
            .join(_programs, _programs.c.id == _apps.c.program_id)
            .where(_apps.c.id > last, _apps.c.state != 'draft')
            .order_by(_apps.c.id)
            .limit(_CHUNK)
        ).all()
        if not apps:
            return
        last = apps[-1][0]
        ids = [a[0] for a in apps]
        stays = conn.execute(
            sa.select(_stays.c.application_id, _stays.c.state, _stays.c.left_on)
            .where(_stays.c.application_id.in_(ids))
            .order_by(_stays.c.application_id, _stays.c.id)
        ).all()
        by_case = {k: list(g) for k, g in groupby(stays, key=lambda r: r[0])}
        updates = []
        for case_id, state, workflow_id, code, outcome in apps:
            if workflow_id not in WORKFLOWS:
                continue
            rows = by_case.get(case_id, [])
            states = [r[1] for r in rows] + [state]
            history = [(r[2], states[i], states[i + 1]) for i, r in enumerate(rows)]
            clock = rules.ClockState()
            for day, a, b in history:
                ended = is_final(b, workflow_id) or (b == 'approved' and outcome == 'recognition')
                clock = rules.step(clock, a, b, day, workflow_id, ended=ended)
            if not clock.started:  # 受理时限 (or none): due_on stays as it is
                continue
            statutory, promised = _limits(code)
            updates.append({
                'b_id': case_id,
                'started': clock.started_on,
                'stopped': clock.stopped_on,
                'since': clock.paused_since,
                'paused': clock.paused_working_days,
                'statutory': statutory,
                'promised': promised,
                'due': rules.stored_due_on(clock, promised),
            })
        if updates:
            conn.execute(
                _apps.update()
                .where(_apps.c.id == sa.bindparam('b_id'))
                .values(
                    clock_started_on=sa.bindparam('started'),
                    clock_stopped_on=sa.bindparam('stopped'),
                    paused_since=sa.bindparam('since'),
                    paused_working_days=sa.bindparam('paused'),
                    statutory_working_days=sa.bindparam('statutory'),
                    promised_working_days=sa.bindparam('promised'),
                    due_on=sa.bindparam('due'),
                ),
                updates,
            )


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_started_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('clock_stopped_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('paused_since', sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column('paused_working_days', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('statutory_working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('promised_working_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_applications_paused_working_days'), 'paused_working_days >= 0'
        )
        batch_op.create_index('ix_applications_due_on', ['due_on', 'id'], unique=False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(
            'ix_audit_events_actor_case', ['actor_id', 'application_id'], unique=False
        )
    op.create_table(
        'time_limit_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('sent_at', zhongchuang.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('threshold IN (80, 100)', name=op.f('ck_time_limit_reminders_threshold')),
        sa.ForeignKeyConstraint(
            ['application_id'], ['applications.id'],
            name=op.f('fk_time_limit_reminders_application_id_applications'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_time_limit_reminders')),
        sa.UniqueConstraint('application_id', 'threshold', name='uq_time_limit_reminders_case'),
    )
    _backfill(op.get_bind())


def downgrade():
    op.drop_table('time_limit_reminders')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_actor_case')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_due_on')
        batch_op.drop_constraint(
            batch_op.f('ck_applications_paused_working_days'), type_='check'
        )
        batch_op.drop_column('promised_working_days')
        batch_op.drop_column('statutory_working_days')
        batch_op.drop_column('paused_working_days')
        batch_op.drop_column('paused_since')
        batch_op.drop_column('clock_stopped_on')
        batch_op.drop_column('clock_started_on')
