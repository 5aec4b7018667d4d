import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracearr.settings")

from tailscale_sidecar.web.frontdoor import FrontDoorWSGI  # noqa: E402 (needs the settings)

# FrontDoorWSGI checks and strips the HTTPS front door's secret path first.
application = FrontDoorWSGI(get_wsgi_application())
