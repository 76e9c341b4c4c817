"""The strain catalogue and its per-country availability."""

from __future__ import annotations

from django.db import models

from .base import MONEY, QUANTITY, MirroredModel


class Strain(MirroredModel):
    """A product. ``retail_price``/``wholesale_price`` are Dr Green's base (USD) figures;
    ``prices`` keeps the converted ``[{currency, retailPrice, wholeSalePrice}]`` list as given."""

    console_path = "strains"

    name = models.CharField(max_length=255, blank=True, db_index=True)
    type = models.CharField(max_length=32, blank=True, db_index=True)
    thc = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    cbd = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    cbg = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    retail_price = models.DecimalField(**MONEY, null=True, blank=True)
    wholesale_price = models.DecimalField(**MONEY, null=True, blank=True)
    prices = models.JSONField(default=list, blank=True)
    image_url = models.CharField(max_length=1000, blank=True)
    description = models.TextField(blank=True)
    # Global flags (the dapp list only returns strains that are both true globally).
    is_active = models.BooleanField(null=True, blank=True)
    is_available = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name or str(self.drgreen_id)


class StrainAvailability(models.Model):
    """``strainLocations`` for one country: what the cart/order stock checks use."""

    strain = models.ForeignKey(Strain, on_delete=models.CASCADE, related_name="availabilities")
    country_code = models.CharField(max_length=3, db_index=True)
    country = models.CharField(max_length=128, blank=True)
    is_active = models.BooleanField(null=True, blank=True)
    is_available = models.BooleanField(null=True, blank=True)
    stock_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    prices = models.JSONField(default=list, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "strain availabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["strain", "country_code"], name="uniq_strain_availability_country"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.strain_id}@{self.country_code}"

    @property
    def can_sell(self) -> bool:
        return bool(self.is_active) and bool(self.is_available) and (self.stock_quantity or 0) > 0
