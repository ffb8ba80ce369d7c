"""case stays and statistics snapshots

The statistics page read every case.action event into Python on each view (no answer in
120 s at 1,000,000 cases). Stays are now written by the engine with each transition; this
revision creates the two tables and fills case_stays from the audit trail already there,
with the same rule (zhongchuang.workflow.stays).

Revision ID: 2d442e971469
Revises: fe1f65ef846e
Create Date: 2026-11-29 05:40:04.774276

"""
from alembic import op
import sqlalchemy as sa
import zhongchuang.models.base
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '2d442e971469'
down_revision = 'fe1f65ef846e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_snapshots',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('computed_at', zhongchuang.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_stats_snapshots'))
    )
    op.create_table('case_stays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=6), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('entered_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_case_stays_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_stays'))
    )
    # Filled before the indexes are built (faster on a large trail).
    from zhongchuang.cases.stays import rebuild_stays

    rebuild_stays(op.get_bind())
    with op.batch_alter_table('case_stays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_stays_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_case_stays_district_state', ['district', 'state', 'days', 'working_days'], unique=False)
        batch_op.create_index('ix_case_stays_state', ['state', 'days', 'working_days'], unique=False)


def downgrade():
    with op.batch_alter_table('case_stays', schema=None) as batch_op:
        batch_op.drop_index('ix_case_stays_state')
        batch_op.drop_index('ix_case_stays_district_state')
        batch_op.drop_index(batch_op.f('ix_case_stays_application_id'))

    op.drop_table('case_stays')
    op.drop_table('stats_snapshots')
