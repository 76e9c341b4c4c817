"""Order DTOs (``src/order/dto.order.ts``) plus the docs' order body for ``docs`` mode."""

from __future__ import annotations

from sandbox.validation import (
    PAGINATION,
    Field,
    date_fields,
    json_array_field,
    r_array,
    r_array_min,
    r_enum,
    r_min,
    r_not_empty,
    r_number,
    r_string,
    r_uuid,
    search_fields,
)

ORDER_STATUSES = ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"]
PAYMENT_STATUSES = ["PENDING", "PAID"]
APPROVALS = ["PENDING", "VERIFIED", "REJECTED"]

CREATE_ORDER: list[Field] = [Field("clientId", [r_uuid(), r_string(), r_not_empty()])]

DOCS_ORDER_LINE: list[Field] = [
    Field("strainId", [r_uuid(), r_string(), r_not_empty()]),
    Field("quantity", [r_min(0.001), r_number(3), r_not_empty()]),
]

CREATE_ORDER_DOCS: list[Field] = [
    Field("clientId", [r_uuid(), r_string(), r_not_empty()]),
    Field("shippingId", [r_uuid()], optional=True),
    Field("orderLines", [r_array_min(1), r_array()], nested=DOCS_ORDER_LINE, nested_each=True),
    Field("paymentMethod", [r_enum(["CRYPTO", "FIAT", "PGPAY"])], optional=True),
    Field("cartId", [r_string()], optional=True),
    Field("notes", [r_string()], optional=True),
]

LIST_ORDERS: list[Field] = [
    *date_fields(required=False),
    json_array_field("clientIds"),
    *search_fields(),
    Field("status", [r_enum(ORDER_STATUSES)], optional=True),
    Field("paymentStatus", [r_enum(PAYMENT_STATUSES)], optional=True),
    Field("adminApproval", [r_enum(APPROVALS), r_string()], optional=True),
    *PAGINATION,
]

FILTER_BY_CLIENTS: list[Field] = [json_array_field("clientIds"), *date_fields(required=True)]
