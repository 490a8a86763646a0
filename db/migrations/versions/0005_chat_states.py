"""Chat conversation states: the /rush questions, a survey comment, an operator's machine,
kept across restarts.

Revision ID: 0005_chat_states
Revises: 0004_chat_buttons
Create Date: 2026-11-27 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_chat_states'
down_revision: str | None = '0004_chat_buttons'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chat_states',
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('expires', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'user_id', name=op.f('pk_chat_states'))
    )
    with op.batch_alter_table('chat_states', schema=None) as batch_op:
        batch_op.create_index('ix_chat_states_expires', ['expires'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_states', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_states_expires')

    op.drop_table('chat_states')
