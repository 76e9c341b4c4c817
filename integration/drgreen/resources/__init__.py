"""Resource groups of :class:`integration.drgreen.DrGreenClient`, one mixin per API area."""

from .carts import CartsMixin
from .clients import ClientsMixin
from .orders import OrdersMixin
from .reports import ReportsMixin
from .sales import SalesMixin
from .strains import StrainsMixin

__all__ = ["CartsMixin", "ClientsMixin", "OrdersMixin", "ReportsMixin", "SalesMixin", "StrainsMixin"]
