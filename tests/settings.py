"""Settings for the test run: the app's own settings with local-use defaults.

Processes that tests start get their environment from the `child_env`
fixture and load `tracearr.settings` directly.
"""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from tracearr.settings import *  # noqa: E402,F403

# whitenoise warns when STATIC_ROOT is missing; tests serve static files from the finders.
STATIC_ROOT = DATA_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
