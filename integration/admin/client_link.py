"""Staff link a Dr Green client to a storefront account by hand (the customer proved who
they are some other way): one admin page per client, recorded in the admin log.

The API only links an existing client after the code mailed to its email comes back
(integration.services.onboarding.email_proof); this is the staff path around that, so it
needs the change permission on clients ("Store admin").
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from integration.services.errors import ServiceError
from integration.services.onboarding import client_link_by_staff


class LinkUserForm(forms.Form):
    user = forms.CharField(max_length=254, help_text="The customer's username, email or user id.")

    def clean_user(self):
        ref = self.cleaned_data["user"].strip()
        query = Q(username=ref) | Q(email__iexact=ref)
        if ref.isascii() and ref.isdigit() and len(ref) < 19:
            query |= Q(pk=int(ref))
        found = list(get_user_model().objects.filter(query)[:2])
        if len(found) != 1:
            raise forms.ValidationError("No single account matches.")
        return found[0]


class ClientLinkAdminMixin:
    """Adds ``<client>/link-user/`` to the client admin."""

    def get_urls(self):
        return [
            path(
                "<path:object_id>/link-user/",
                self.admin_site.admin_view(self.link_user_view),
                name="integration_client_link_user",
            ),
            *super().get_urls(),
        ]

    def link_user_view(self, request, object_id):
        if not request.user.has_perm("integration.change_client"):
            raise PermissionDenied
        client = get_object_or_404(self.model, pk=object_id)
        form = LinkUserForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = form.cleaned_data["user"]
            try:
                client_link_by_staff(client=client, user=user)
            except ServiceError as exc:
                form.add_error("user", exc.message)
            else:
                self.log_change(request, client, f"Linked by hand to storefront user #{user.pk} ({user}).")
                self.message_user(request, f"Linked to {user}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:integration_client_change", args=[client.pk]))
        return TemplateResponse(
            request,
            "integration/admin/client_link_user.html",
            {
                **self.admin_site.each_context(request),
                "title": "Link to a storefront account",
                "subtitle": None,
                "opts": self.model._meta,
                "original": client,
                "form": form,
            },
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.user.has_perm("integration.change_client"):
            context["link_user_url"] = reverse("admin:integration_client_link_user", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)
