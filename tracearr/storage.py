"""Static files storage: hashed and compressed once collected, plain names before.

A server started without `manage.py collectstatic` (gunicorn run by hand, a
container built without the step) would otherwise answer every page with a 500
("Missing staticfiles manifest entry"). Instead the page links the plain names,
which WhiteNoise serves from the apps' own static folders
(`WHITENOISE_USE_FINDERS`), and one warning says what to run.
"""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

log = logging.getLogger(__name__)


class ForgivingManifestStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False
    _warned = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            # Not collected: neither in the manifest nor in STATIC_ROOT.
            if not ForgivingManifestStorage._warned:
                ForgivingManifestStorage._warned = True
                log.warning(
                    "static files are not collected (no %s in %s): serving them unhashed. "
                    "Run `python manage.py collectstatic --noinput` before starting the server.",
                    self.manifest_name,
                    self.location,
                )
            return name
