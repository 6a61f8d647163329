from alembic import command
from sqlalchemy import create_engine, inspect

from tests.conftest import alembic_config


def test_migrations_downgrade_and_upgrade(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    config = alembic_config(url, monkeypatch)
    command.upgrade(config, "head")
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"users", "items", "alembic_version"} <= tables
    command.downgrade(config, "base")
    assert set(inspect(create_engine(url)).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert "items" in inspect(create_engine(url)).get_table_names()
