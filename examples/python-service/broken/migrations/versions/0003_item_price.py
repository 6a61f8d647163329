"""Add a price to items.

Revision ID: 0003
Revises: 0002

Added by `./run --broken`, which has the `migrate` gate stop at 0002
(MIGRATE_TO=0002): the database is one migration behind.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("price_cents", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("items") as batch:
        batch.drop_column("price_cents")
