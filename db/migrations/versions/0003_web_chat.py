"""The web chat's conversations: one row per line, the newest few per user.

Revision ID: 0003_web_chat
Revises: 0002_api_tokens
Create Date: 2026-11-27 04:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_web_chat'
down_revision: str | None = '0002_api_tokens'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_chat_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entry', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_chat_lines_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_chat_lines'))
    )
    with op.batch_alter_table('web_chat_lines', schema=None) as batch_op:
        batch_op.create_index('ix_web_chat_lines_user_id_id', ['user_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_chat_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_web_chat_lines_user_id_id')

    op.drop_table('web_chat_lines')
