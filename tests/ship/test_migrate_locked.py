"""`manage.py migrate_locked`: replicas starting together migrate one at a time."""

from __future__ import annotations

import fcntl

import pytest

from tracearr.management.commands.migrate_locked import ADVISORY_LOCK_ID

from .helpers import manage, short_tmp_dir, sqlite_rows, start_manage


def test_it_waits_for_the_sqlite_lock_and_gives_up_when_held():
    db = short_tmp_dir() / "app.sqlite3"
    with open(f"{db}.migrate-lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = manage("migrate_locked", "--lock-timeout", "1", database_url=f"sqlite:///{db}")

    assert result.returncode != 0
    assert "held the migration lock" in result.stderr
    assert not sqlite_rows(db, "SELECT name FROM sqlite_master WHERE name = 'django_migrations'")


def test_two_replicas_on_one_sqlite_file_both_succeed():
    db = short_tmp_dir() / "app.sqlite3"
    replicas = [start_manage("migrate_locked", database_url=f"sqlite:///{db}") for _ in range(2)]
    outputs = [proc.communicate(timeout=90)[0] for proc in replicas]

    assert [proc.returncode for proc in replicas] == [0, 0], outputs
    # One replica applied everything, the other found nothing to do.
    assert sum("Applying" in output for output in outputs) == 1, outputs
    assert sqlite_rows(db, "SELECT COUNT(*) FROM auth_user") == [(0,)]


def test_it_takes_the_postgres_advisory_lock(postgres_url):
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(postgres_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_ID])
        blocked = manage("migrate_locked", "--lock-timeout", "1", database_url=postgres_url)
        holder.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_ID])
    migrated = manage("migrate_locked", database_url=postgres_url)

    assert blocked.returncode != 0
    assert "held the migration lock" in blocked.stderr
    assert migrated.returncode == 0, migrated.stderr
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM django_migrations").fetchone()[0] > 0
