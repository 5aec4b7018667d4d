"""Create an API token for a staff user and print it once: create_api_token <username> <name>."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tailscale_sidecar.web.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for a staff user; the token is printed once and stored hashed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="What will use the token, e.g. home-assistant")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not (user.is_active and user.is_staff):
            raise CommandError(f"{username!r} is not an active staff user; API tokens need one.")
        token, raw = create_token(user, name)
        self.stderr.write(f"Created token {token.name!r} ({token.prefix}…). It is shown only once:")
        self.stdout.write(raw)
