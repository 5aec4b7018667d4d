"""`manage.py wait_for_db`: returns when the database answers, gives up in bounded time."""

from __future__ import annotations

import time

from .helpers import free_port, manage, short_tmp_dir


def test_it_returns_at_once_when_the_database_answers():
    result = manage("wait_for_db", "--timeout", "5", database_url=f"sqlite:///{short_tmp_dir()}/db")
    assert result.returncode == 0, result.stderr


def test_it_gives_up_after_the_timeout_with_an_actionable_message():
    url = f"postgres://nobody@127.0.0.1:{free_port()}/nothing"
    started = time.monotonic()
    result = manage("wait_for_db", "--timeout", "2", "--interval", "0.5", database_url=url)
    elapsed = time.monotonic() - started

    assert result.returncode != 0
    assert "did not answer within 2 s" in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert elapsed < 15
