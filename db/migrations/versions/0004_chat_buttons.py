"""Chat buttons: each button's token and what it does, so that a restart still knows them.

Revision ID: 0004_chat_buttons
Revises: 0003_web_chat
Create Date: 2026-11-27 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_chat_buttons'
down_revision: str | None = '0003_web_chat'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chat_buttons',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('roles', sa.String(length=100), nullable=False),
    sa.Column('expires', sa.DateTime(timezone=True), nullable=False),
    sa.Column('single_use', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_chat_buttons'))
    )
    with op.batch_alter_table('chat_buttons', schema=None) as batch_op:
        batch_op.create_index('ix_chat_buttons_expires', ['expires'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_buttons', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_buttons_expires')

    op.drop_table('chat_buttons')
