"""Hostile input: generated values through the API, and security checks."""

from __future__ import annotations

import pytest
from django.test import Client

from tailscale_sidecar.web.tokens import create_token


@pytest.fixture
def token_client(django_user_model) -> Client:
    owner = django_user_model.objects.create_user("owner", password=None, is_staff=True)
    return Client(headers={"Authorization": f"Bearer {create_token(owner, 'hostile')[1]}"})
