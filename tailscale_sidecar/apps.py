from django.apps import AppConfig


class TailscaleSidecarConfig(AppConfig):
    name = "tailscale_sidecar"
    verbose_name = "Tailscale"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tailscale_sidecar import conf

        # Every process that loads the app (web, supervisor, jobs) gets the
        # same defaults, so a host project needs no settings of its own.
        conf.install_defaults()
