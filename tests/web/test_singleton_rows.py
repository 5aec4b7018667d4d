"""The two singleton rows record when they last changed."""

import pytest

from tailscale_sidecar.models import DesiredConfig, ObservedStatus


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "write"),
    [
        (DesiredConfig, lambda: DesiredConfig.update(hostname="web")),
        (DesiredConfig, lambda: DesiredConfig.bump("retry_generation")),
        (ObservedStatus, lambda: ObservedStatus.write(phase="starting")),
    ],
)
def test_every_write_moves_updated_at(model, write):
    before = model.load().updated_at
    write()
    assert model.load().updated_at > before
