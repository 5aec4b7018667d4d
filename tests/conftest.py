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


def pytest_addoption(parser):
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="run the long form of the fault suite (tests marked slow)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--long"):
        return
    import pytest

    skip_slow = pytest.mark.skip(reason="long form of the fault suite: run with --long")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
