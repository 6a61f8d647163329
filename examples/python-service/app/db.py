"""Database access: one engine and a session factory per application."""

from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker


class Database:
    def __init__(self, url):
        self.engine = create_engine(url)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextmanager
    def session(self):
        session = self.sessions()
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self):
        """Run a real query; True when the database answers."""
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT 1")).scalar() == 1
        except Exception:
            return False

    def revision(self):
        """The alembic revision the database is at, or None."""
        try:
            with self.engine.connect() as conn:
                return conn.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar()
        except Exception:
            return None
