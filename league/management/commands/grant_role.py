"""Grant (or with --revoke take back) a role: `facilitator` lets a racer create and run
community races (docs/organisers.md)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from league.community import ROLES, role_grant, role_revoke


class Command(BaseCommand):
    help = "Grant a role to a user (facilitator: may create and run community races); --revoke takes it back."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=ROLES)
        parser.add_argument("--revoke", action="store_true", help="take the role back")

    def handle(self, *args, username, role, revoke, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}; the racer signs up first (or check the spelling)")
        try:
            (role_revoke if revoke else role_grant)(user, role)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{username}: {role} role {'revoked' if revoke else 'granted'}")
