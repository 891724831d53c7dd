"""Password rules beyond Django's: accept long passphrases (64+ chars) but cap absurd input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PASSWORD_LENGTH = 256


class MaximumLengthValidator:
    """Reject passwords over 256 characters (hashing cost), while 64+ character passphrases pass."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(
                _("The password is too long (at most %(max)d characters).") % {"max": MAX_PASSWORD_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max)d characters; long passphrases are welcome.") % {
            "max": MAX_PASSWORD_LENGTH
        }
