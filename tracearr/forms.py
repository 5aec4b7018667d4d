"""The first-run form: the first user becomes the owner of this instance."""

from __future__ import annotations

from django.contrib.auth.forms import UserCreationForm


class OwnerCreationForm(UserCreationForm):
    """The first user: becomes the staff superuser who owns this instance."""

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user
