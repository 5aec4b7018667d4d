"""Forms for the Settings → Tailscale page. The rules live in validation.py."""

from __future__ import annotations

from django import forms

from tailscale_sidecar.validation import FieldErrors, clean_config


class EnableForm(forms.Form):
    hostname = forms.CharField(
        max_length=63,
        help_text='Letters, digits and "-", up to 63 characters.',
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
        help_text="Comma-separated, for example tag:server, tag:web",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    control_url = forms.CharField(
        required=False,
        label="Login server URL",
        help_text="Leave empty for Tailscale. For Headscale or another login server.",
        widget=forms.URLInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, saved_tags: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.saved_tags = saved_tags or []

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            cleaned = clean_config(
                hostname=data["hostname"],
                tags=data["tags"],
                control_url=data["control_url"],
                auth_key=data["auth_key"],
                saved_tags=self.saved_tags,
            )
        except FieldErrors as exc:
            for field, message in exc.errors.items():
                self.add_error(field, message)
            return data
        data.update(cleaned)
        return data


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What will use it, for example home-assistant.",
    )
