"""With DEBUG off (the run command's default), as every tailnet peer would see it.

gunicorn is started the way a user might by hand: no collectstatic. Pages must
still answer 200 with their CSS, and errors must show the app's own plain
pages, never Django's debug pages.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import httpx

from tests.fixtures.web import ROOT

DEBUG_PAGE_MARKERS = ("DEBUG = True", "Traceback", "Using the URLconf defined in")


def test_without_collectstatic_pages_work_and_say_what_to_run(web_server, tmp_path):
    empty_static_root = tmp_path / "static"
    server = web_server(DEBUG="false", STATIC_ROOT=str(empty_static_root))

    # No owner yet: this is the first-run page, like the login page built on base.html.
    login = httpx.get(f"{server.url}/login/", timeout=10, follow_redirects=True)
    assert login.status_code == 200, login.text[:2000]
    stylesheets = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', login.text)
    assert stylesheets
    for href in stylesheets:
        css = httpx.get(server.url + href, timeout=10)
        assert css.status_code == 200, href
        assert "text/css" in css.headers["content-type"]
    assert "collectstatic" in server.log_text()


def test_a_missing_page_is_the_apps_own_plain_404(web_server, tmp_path):
    server = web_server(DEBUG="false", STATIC_ROOT=str(tmp_path / "static"))

    missing = httpx.get(f"{server.url}/no-such-page/", timeout=10)

    assert missing.status_code == 404
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in missing.text
    assert "tracearr" in missing.text.lower()


def test_a_server_error_is_the_apps_own_plain_500(web_server, child_env, tmp_path):
    database = tmp_path / "db.sqlite3"
    env = {**child_env, "DEBUG": "false", "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    server = web_server(env, STATIC_ROOT=str(tmp_path / "static"))
    # Break the database under the running server: every login page now fails.
    with sqlite3.connect(database) as db:
        db.execute("DROP TABLE auth_user")

    broken = httpx.get(f"{server.url}/login/", timeout=10)

    assert broken.status_code == 500
    assert "Something went wrong" in broken.text
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in broken.text
