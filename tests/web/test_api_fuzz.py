"""Schemathesis drives every API operation with generated input: no 5xx, responses match the schema."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    positive_data_acceptance,
    unsupported_method,
)

from tailscale_sidecar.web.api import api
from tailscale_sidecar.web.tokens import create_token

# The event stream runs for a minute per call; tests/web/test_status_stream*.py cover it.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).exclude(
    path="/api/v1/tailscale/stream"
)


@pytest.fixture
def fuzz_token(django_user_model):
    owner = django_user_model.objects.create_user("fuzz", password="x", is_staff=True)
    return create_token(owner, "fuzz")[1]


@pytest.fixture
def wsgi_app(fuzz_token):
    # Built per test, not at import: the app must start after the test set-up.
    return get_wsgi_application()


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_survives_generated_input(case, fuzz_token, wsgi_app):
    case.call_and_validate(
        app=wsgi_app,
        headers={"Authorization": f"Bearer {fuzz_token}"},
        # ignored_auth and unsupported_method send extra requests outside the
        # WSGI app (access control has its own tests); positive_data_acceptance
        # expects every schema-valid string to pass, but the hostname, tag, URL
        # and key rules (validation.py) are stricter than JSON Schema can say.
        excluded_checks=[ignored_auth, unsupported_method, positive_data_acceptance],
    )
