"""Forms for the Settings → Tailscale page.

They only shape the input; the rules live in validation.py and are applied
once, by the action the view calls (its FieldErrors land on the form).
"""

from __future__ import annotations

from django import forms


class EnableForm(forms.Form):
    hostname = forms.CharField(
        max_length=63,
        help_text='Letters, digits and "-", up to 63 characters; or a template with {id}, '
        "{host} and {region}, for example tracearr-{region}-{id}.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    auth_key = forms.CharField(
        required=False,
        label="Auth key (optional)",
        help_text="Join without a browser login. Stored encrypted; never shown again.",
        # Never render a saved key back into the page.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    tags = forms.CharField(
        required=False,
        help_text="Comma-separated, for example tag:server, tag:web. Changing the tags of a "
        "device that already joined makes it log in again: with an auth key or OAuth client "
        "that happens by itself, otherwise you authorize it again.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    control_url = forms.CharField(
        required=False,
        label="Login server URL",
        help_text="Leave empty for Tailscale. For Headscale or another login server.",
        widget=forms.URLInput(attrs={"autocomplete": "off"}),
    )

    outbound_proxy = forms.BooleanField(
        required=False,
        label="Outbound proxy",
        help_text="Let this app reach other devices on your tailnet (SOCKS5/HTTP proxy on "
        "this machine's loopback).",
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What will use it, for example home-assistant.",
    )


class AccessForm(forms.Form):
    https = forms.BooleanField(
        required=False,
        label="HTTPS on your tailnet name",
        help_text="Serve this app over HTTPS at its tailnet name, with a certificate for "
        "the name, when your tailnet has HTTPS certificates turned on.",
    )
    trusted_logins = forms.CharField(
        required=False,
        label="Signed in by tailnet identity",
        help_text="Tailnet logins, one per line or comma-separated, for example alice@example.com.",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_trusted_logins(self) -> list[str]:
        raw = self.cleaned_data["trusted_logins"]
        return [item for line in raw.splitlines() for item in line.split(",") if item.strip()]
