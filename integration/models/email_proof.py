"""Proof that a customer controls the email of an existing Dr Green client before that
client is linked to their storefront account.

Registering with the email of a client this store already has (Dr Green answers 409) must
not hand the client over: a single-use code goes to the address on the Dr Green record,
and only that code (or staff, by hand in the admin) links the two. Only a keyed hash of the
code is stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ClientLinkProof(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drgreen_link_proofs"
    )
    client = models.ForeignKey("integration.Client", on_delete=models.CASCADE, related_name="link_proofs")
    registration = models.ForeignKey(
        "integration.ClientRegistration", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where the code was sent: the email on the Dr Green record, not what the caller typed.
    email = models.EmailField()
    code_hash = models.CharField(max_length=64, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "used_at"], name="linkproof_user_open")]

    def __str__(self) -> str:
        return f"link proof #{self.pk} (client {self.client_id})"
