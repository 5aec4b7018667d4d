"""The OpenAPI schema is served to the owner and lists every endpoint."""

import pytest

PATHS = {
    "/api/v1/health": {"get"},
    "/api/v1/tailscale": {"get", "patch"},
    "/api/v1/tailscale/enable": {"post"},
    "/api/v1/tailscale/disable": {"post"},
    "/api/v1/tailscale/reset": {"post"},
    "/api/v1/tailscale/retry": {"post"},
    "/api/v1/tailscale/logs": {"get"},
    "/api/v1/tailscale/access": {"get"},
    "/api/v1/tailscale/events": {"get"},
    "/api/v1/tailscale/stream": {"get"},
}


@pytest.mark.django_db
def test_it_serves_the_schema_with_every_path(owner_client):
    schema = owner_client.get("/api/v1/openapi.json").json()
    assert {path: set(ops) for path, ops in schema["paths"].items()} == PATHS
    assert "security" not in schema["paths"]["/api/v1/health"]["get"]
    assert schema["paths"]["/api/v1/tailscale"]["get"]["security"] == [
        {"TokenAuth": []},
        {"SessionAuthIsStaff": []},
    ]
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


@pytest.mark.django_db
def test_it_serves_the_docs_page(owner_client):
    response = owner_client.get("/api/v1/docs")
    assert response.status_code == 200 and b"openapi.json" in response.content
