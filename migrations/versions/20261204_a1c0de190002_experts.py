"""experts (release 2): criteria scores, opinion and 回避

Each expert assignment keeps its points per criterion (``scores``, JSON; ``score`` stays
the total, computed), and whether the expert declared a conflict of interest (``recused``,
with ``recused_at``); the opinion stays in ``comment``.

Revision ID: a1c0de190002
Revises: a1c0de190001
Create Date: 2026-12-04 05:00:02

"""
from alembic import op
import sqlalchemy as sa
import zhongchuang.models.base

# revision identifiers, used by Alembic.
revision = 'a1c0de190002'
down_revision = 'a1c0de190001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expert_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scores', zhongchuang.models.base.JSONType, nullable=True))
        batch_op.add_column(
            sa.Column('recused', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column('recused_at', zhongchuang.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('expert_assignments', schema=None) as batch_op:
        batch_op.drop_column('recused_at')
        batch_op.drop_column('recused')
        batch_op.drop_column('scores')
