"""A racer's own account: their email address (what lets them recover it), their alias,
and what is left of a racer when the account is deleted.

Deleting an account touches racing's data (models, results, boards), so it starts in
racing/accounts.py, which ends with `racer_retire` here.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import aliases
from .models import Racer
from .services import alias_errors, email_errors, lock_rows


@transaction.atomic
def account_update(racer: Racer, *, alias: str | None = None, email: str | None = None) -> Racer:
    """Change the racer's alias and/or email address (None: unchanged; email "": none).
    Raises ValidationError({field: [messages]}) with every problem at once."""
    lock_rows(Racer.objects.filter(pk=racer.pk))
    errors: dict[str, list[str]] = {}
    if alias is not None:
        alias = aliases.alias_clean(alias)
        if alias != racer.alias and (problems := alias_errors(alias, racer=racer, house=racer.is_house)):
            errors["alias"] = problems
    if email is not None:
        email = get_user_model().objects.normalize_email(email.strip())
        if email and (problems := email_errors(email)):
            errors["email"] = problems
    if errors:
        raise ValidationError(errors)
    if alias is not None and alias != racer.alias:
        racer.alias = alias
        racer.save(update_fields=["alias"])
    if email is not None and email != racer.user.email:
        racer.user.email = email
        racer.user.save(update_fields=["email"])
    return racer


def racer_retire(racer: Racer) -> None:
    """The end of an account whose results stay on the boards: the racer row stays under
    "Deleted racer <id>" (freeing the alias), the user and their API token go. Call inside
    the transaction of racing.accounts.account_delete."""
    user = racer.user
    racer.alias = aliases.deleted_alias(racer.pk)
    racer.deleted_at = timezone.now()
    racer.user = None
    racer.save(update_fields=["alias", "deleted_at", "user"])
    if user is not None:
        user.delete()


def password_confirms(user, password: str) -> None:
    """Raise ValidationError({"password": [...]}) unless `password` is the user's own: the
    check before anything as final as deleting the account."""
    if not password or not user.check_password(password):
        raise ValidationError({"password": ["That is not your password; type your current password to confirm."]})
