from django.apps import AppConfig


class TailscaleSidecarConfig(AppConfig):
    name = "tailscale_sidecar"
    verbose_name = "Tailscale"
    default_auto_field = "django.db.models.BigAutoField"
