"""Shared test set-up.

The test database is a file (SQLite by default, PostgreSQL when DATABASE_URL
names one) with a name unique to this pytest process, so the real child
processes that tests start (supervisor, gunicorn) can open it, and so two
pytest runs on one machine never share it. Fixtures live in tests/fixtures/,
one module per area.
"""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.simulator",
    "tests.fixtures.processes",
    "tests.fixtures.web",
]
