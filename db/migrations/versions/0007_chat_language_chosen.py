"""Whether a chat's language was chosen by its person (a customer's chat follows what they write
until they choose).

Revision ID: 0007_chat_language_chosen
Revises: 0006_product_names
Create Date: 2026-11-28 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_chat_language_chosen'
down_revision: str | None = '0006_product_names'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('chat_identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lang_chosen', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('chat_identities', schema=None) as batch_op:
        batch_op.drop_column('lang_chosen')
