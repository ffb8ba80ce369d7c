"""outcomes, 不予受理 and 一次性告知

Release 2: a program declares its outcome (payment or recognition); a case may end
``declined`` (不予受理); a return carries its items and 补正期限; a recognised space keeps
its address (a second recognition is refused per space) and its certificate number.

Revision ID: a1c0de190001
Revises: 2d442e971469
Create Date: 2026-12-04 05:00:00

"""
from alembic import op
import sqlalchemy as sa
import zhongchuang.models.base

# revision identifiers, used by Alembic.
revision = 'a1c0de190001'
down_revision = '2d442e971469'
branch_labels = None
depends_on = None

_OLD_STATES = ('draft', 'submitted', 'returned', 'accepted', 'county_approved',
               'expert_reviewed', 'city_approved', 'in_notice', 'approved', 'disbursed',
               'rejected', 'withdrawn')
_OLD_PRE = ('draft', 'submitted', 'returned', 'accepted', 'county_approved',
            'expert_reviewed', 'withdrawn')
_NEW_STATES = _OLD_STATES + ('declined',)
_NEW_PRE = _OLD_PRE + ('declined',)


def _in(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _checks(batch_op, states, pre):
    batch_op.drop_constraint(batch_op.f('ck_applications_state'), type_='check')
    batch_op.drop_constraint(
        batch_op.f('ck_applications_approved_amount_from_city_approval'), type_='check'
    )
    batch_op.create_check_constraint(batch_op.f('ck_applications_state'), f"state IN {_in(states)}")
    batch_op.create_check_constraint(
        batch_op.f('ck_applications_approved_amount_from_city_approval'),
        f"state NOT IN {_in(pre)} OR approved_amount IS NULL",
    )


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('correction', zhongchuang.models.base.JSONType, nullable=True))
        batch_op.add_column(sa.Column('correction_due_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_applications_correction_due', ['state', 'correction_due_on'], unique=False)
        _checks(batch_op, _NEW_STATES, _NEW_PRE)
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=20), nullable=False, server_default='payment'))
    op.execute(
        "UPDATE programs SET outcome = 'recognition' WHERE code = 'makerspace_recognition'"
    )
    with op.batch_alter_table('maker_spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('certificate_number', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_maker_spaces_certificate_number'), ['certificate_number'])


def downgrade():
    with op.batch_alter_table('maker_spaces', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_maker_spaces_certificate_number'), type_='unique')
        batch_op.drop_column('certificate_number')
        batch_op.drop_column('address')
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('outcome')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        _checks(batch_op, _OLD_STATES, _OLD_PRE)
        batch_op.drop_index('ix_applications_correction_due')
        batch_op.drop_column('correction_due_on')
        batch_op.drop_column('correction')
