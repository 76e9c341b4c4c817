"""Who may call what. Object-level scoping is done by the selectors (every customer query
filters on the principal's user), so another customer's object is simply "not found"; the
classes here decide which *kind* of caller an endpoint serves."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .authentication import Principal


def principal_of(request) -> Principal | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Principal) else None


class IsCustomer(BasePermission):
    """A customer: a storefront token naming one in ``X-Customer-Id``, a customer token, or a
    session user."""

    message = "This endpoint acts for one customer: send X-Customer-Id with a storefront token."
    code = "customer_required"

    def has_permission(self, request, view) -> bool:
        principal = principal_of(request)
        return principal is not None and principal.customer is not None


class IsCatalogueReader(BasePermission):
    """Anyone authenticated (a storefront token alone is enough to show the catalogue)."""

    def has_permission(self, request, view) -> bool:
        return principal_of(request) is not None


class IsStaff(BasePermission):
    """A staff token, or a staff session."""

    message = "Staff only."
    code = "staff_required"

    def has_permission(self, request, view) -> bool:
        principal = principal_of(request)
        return principal is not None and principal.is_staff
