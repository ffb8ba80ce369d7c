"""documents (release 2): issuers, their yearly number sequences, issued documents

``issuers`` are the offices (发文机关) per level and district, with the short name their
document numbers (文号) begin with and the bodies an adverse decision names for 复议 and
诉讼 (data, marked unconfirmed). ``document_sequences`` holds each issuer's last number of
a year (locked while a number is taken: gapless, unique). ``documents`` keeps every
issued PDF as issued, with its SHA-256. ``applications.query_code`` is the 查询码 of the
受理通知书.

Revision ID: a1c0de200001
Revises: a1c0de190003
Create Date: 2026-12-04 20:22:19.455361

"""
from alembic import op
import sqlalchemy as sa
import zhongchuang.models.base


# revision identifiers, used by Alembic.
revision = 'a1c0de200001'
down_revision = 'a1c0de190003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issuers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('district', sa.String(length=6), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('short_name', sa.String(length=40), nullable=False),
    sa.Column('reconsideration_body', sa.String(length=200), nullable=False),
    sa.Column('litigation_court', sa.String(length=200), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('updated_at', zhongchuang.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(level = 'city' AND district IS NULL) OR (level = 'county' AND district IS NOT NULL)", name=op.f('ck_issuers_district_by_level')),
    sa.CheckConstraint("level IN ('county', 'city')", name=op.f('ck_issuers_level')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuers')),
    sa.UniqueConstraint('code', name=op.f('uq_issuers_code')),
    sa.UniqueConstraint('level', 'district', name='uq_issuers_level_district')
    )
    op.create_table('document_sequences',
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.CheckConstraint('last >= 0', name=op.f('ck_document_sequences_last')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_document_sequences_issuer_id_issuers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('issuer_id', 'year', name=op.f('pk_document_sequences'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('issuer_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issued_at', zhongchuang.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('verify_token', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('receipt', 'decline', 'correction', 'approval', 'rejection', 'certificate')", name=op.f('ck_documents_kind')),
    sa.CheckConstraint("status IN ('valid', 'superseded')", name=op.f('ck_documents_status')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_documents_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_documents_event_id_audit_events')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_documents_issuer_id_issuers')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['documents.id'], name=op.f('fk_documents_superseded_by_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('issuer_id', 'year', 'serial', name='uq_documents_issuer_year_serial'),
    sa.UniqueConstraint('number', name=op.f('uq_documents_number')),
    sa.UniqueConstraint('sha256', name=op.f('uq_documents_sha256')),
    sa.UniqueConstraint('verify_token', name=op.f('uq_documents_verify_token'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_case', ['application_id', 'id'], unique=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('query_code', sa.String(length=6), nullable=True))



def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('query_code')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_case')

    op.drop_table('documents')
    op.drop_table('document_sequences')
    op.drop_table('issuers')
