"""Organisation, people, role assignments, the hash-chained audit log, API tokens and notices."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import ROLES


class OrgUnit(models.Model):
    """府省庁/組織 → 部局 → 課室: a tree of organisation units; role scopes hang on it."""

    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation (ministry/agency)")
        BUREAU = "bureau", _("Bureau / department")
        DIVISION = "division", _("Division / office")

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    #: Materialised path of ancestor ids ("/1/4/9/") so subtree scoping is one indexed LIKE.
    path = models.CharField(max_length=512, db_index=True, editable=False, default="/")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["path", "name"]
        verbose_name = _("organisation unit")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        new_path = (self.parent.path if self.parent else "/") + f"{self.pk}/"
        if new_path != self.path:
            old = self.path
            OrgUnit.objects.filter(pk=self.pk).update(path=new_path)
            self.path = new_path
            if old != "/":
                for child in OrgUnit.objects.filter(path__startswith=old).exclude(pk=self.pk):
                    child.path = new_path + child.path[len(old):]
                    OrgUnit.objects.filter(pk=child.pk).update(path=child.path)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


class User(AbstractUser):
    """A person who signs in; belongs to one organisation unit."""

    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("unit")
    )
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    totp_secret = models.CharField(max_length=64, blank=True, default="", editable=False)
    totp_enabled = models.BooleanField(_("two-factor authentication"), default=False)
    totp_last_counter = models.BigIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["username"]
        verbose_name = _("person")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class RoleAssignment(models.Model):
    """A person holds a role of the standard, scoped to an organisation unit (and its subtree)."""

    ROLE_CHOICES = [(r.code, r.name_ja) for r in ROLES]

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=64, choices=ROLE_CHOICES)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="role_assignments")
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["unit__path", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "role", "unit"], name="uniq_role_assignment")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.unit}"


class AuditEntry(models.Model):
    """One append-only audit record; ``entry_hash`` chains it to the previous one (see auditchain)."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    source_ip = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=16, default="success")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditCheckpoint(models.Model):
    """A signed statement 'the log had N entries ending in hash H' (C2SP checkpoint style)."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signed_note = models.TextField()

    class Meta:
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"checkpoint @{self.size}"


class AuditHead(models.Model):
    """Single row locked while appending, so concurrent writers never fork the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head @{self.seq}"


class LoginFailure(models.Model):
    """Failed sign-in attempts, for throttling by account and by source address."""

    username = models.CharField(max_length=150, db_index=True)
    source_ip = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.source_ip}"


class ApiToken(models.Model):
    """Personal access token: only a SHA-256 of the secret is stored; revocable and expiring."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now and self.user.is_active


class Notification(models.Model):
    """An in-app notice (also e-mailed); ``key`` makes periodic jobs idempotent."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_notification_key")]

    def __str__(self) -> str:
        return self.title


class JobRun(models.Model):
    """When each periodic job last ran and how it went (for `kijun jobs run` and the scheduler)."""

    name = models.CharField(max_length=64, db_index=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    ok = models.BooleanField(default=False)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M}"
