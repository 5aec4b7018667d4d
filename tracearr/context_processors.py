from django.conf import settings
from django.http import HttpRequest


def demo_mode(request: HttpRequest) -> dict[str, bool]:
    """Lets every page show the "simulated tailnet" banner in demo mode."""
    return {"demo_mode": settings.DEMO_MODE}
