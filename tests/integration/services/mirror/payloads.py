"""Builders for Dr Green payloads shaped exactly like facts §6 (synthetic people only).

Each builder returns one item as the endpoint sends it inside its wrapper
(``data.orders[]``, ``data.recentOrders[]``, ``data.orderDetails``, ...). Keyword
arguments override fields; ``drop=("adminApproval",)`` removes keys.
"""

from __future__ import annotations

import uuid

NFT = {"tokenId": 56, "ownerId": "0x000000000000000000000000000000000000dEaD"}


def new_id() -> str:
    return str(uuid.uuid4())


def _finish(item: dict, overrides: dict, drop) -> dict:
    item.update(overrides)
    for key in drop or ():
        item.pop(key, None)
    return item


def shipping_row(**overrides) -> dict:
    return _finish(
        {
            "id": new_id(),
            "address1": "1 Example Street",
            "address2": "Flat 2",
            "landmark": "",
            "city": "Testville",
            "state": "Western Cape",
            "country": "South Africa",
            "countryCode": "ZAF",
            "postalCode": "8001",
            "createdAt": "2026-01-10T09:00:00.000Z",
        },
        overrides,
        None,
    )


def client_list_item(*, drop=(), **overrides) -> dict:
    return _finish(
        {
            "id": new_id(),
            "firstName": "Ada",
            "lastName": "Testperson",
            "email": "ada.testperson@example.com",
            "phoneCountryCode": None,
            "phoneCode": "+27",
            "contactNumber": "820000001",
            "isActive": False,
            "adminApproval": "PENDING",
            "isKYCVerified": False,
            "verifiedAt": None,
            "rejectedAt": None,
            "nft": NFT,
            "shippings": [{"country": "South Africa", "currency": None}],
            "createdAt": "2026-01-10T09:00:00.000Z",
            "updatedAt": "2026-01-10T09:00:00.000Z",
            "clientCart": [{"id": new_id()}],
        },
        overrides,
        drop,
    )


def client_detail(*, drop=(), **overrides) -> dict:
    return _finish(
        {
            "id": new_id(),
            "firstName": "Ada",
            "lastName": "Testperson",
            "email": "ada.testperson@example.com",
            "phoneCountryCode": "ZA",
            "phoneCode": "+27",
            "contactNumber": "820000001",
            "isActive": True,
            "nft": NFT,
            "adminApproval": "VERIFIED",
            "isKYCVerified": True,
            "createdAt": "2026-01-10T09:00:00.000Z",
            "updatedAt": "2026-01-11T09:00:00.000Z",
            "clientCart": [{"id": new_id()}],
            "shippings": [shipping_row()],
            "clientBusinesses": [
                {
                    "id": new_id(),
                    "name": "Example Wellness Ltd",
                    "businessType": "clinic",
                    "address1": "2 Example Road",
                    "address2": "",
                    "landmark": "",
                    "city": "Testville",
                    "state": "Western Cape",
                    "country": "South Africa",
                    "countryCode": "ZAF",
                    "postalCode": "8002",
                    "createdAt": "2026-01-10T09:00:00.000Z",
                }
            ],
            "medicalRecord": {"dob": "1990-01-01", "gender": "female", "medicalHistory0": False},
        },
        overrides,
        drop,
    )


def _nested_client(client_id: str, *, full_shippings: bool = False) -> dict:
    shippings = [shipping_row()] if full_shippings else [{"countryCode": "ZAF"}]
    return {"id": client_id, "firstName": "Ben", "lastName": "Examplename", "shippings": shippings}


def order_list_item(*, client_id: str | None = None, drop=(), **overrides) -> dict:
    client_id = client_id or new_id()
    return _finish(
        {
            "id": new_id(),
            "invoiceNumber": f"DG_1767000000000{client_id}",
            "orderStatus": "PENDING",
            "adminApproval": "PENDING",
            "paymentStatus": "PENDING",
            "totalAmount": 9.09,
            "transactions": [],
            "createdAt": "2026-02-01T10:00:00.000Z",
            "nft": NFT,
            "client": _nested_client(client_id),
            "shipping": {"country": "South Africa", "countryCode": "ZAF", "currency": None},
            "_count": {"orderLines": 1},
            "totalQuantity": 1,
            "totalPrice": 9.09,
            "localPrice": {"currency": "ZAR", "totalAmount": 165},
        },
        overrides,
        drop,
    )


def order_recent_item(
    *, order_id: str | None = None, client_id: str | None = None, drop=(), **overrides
) -> dict:
    client = _nested_client(client_id or new_id(), full_shippings=True)
    return _finish(
        {
            "id": order_id or new_id(),
            "createdAt": "2026-02-01T10:00:00.000Z",
            "updatedAt": "2026-02-01T10:00:00.000Z",
            "paymentStatus": "PENDING",
            "orderStatus": "PENDING",
            "client": client,
            "totalQuantity": 1,
            "shippings": client["shippings"],
            "totalPrice": 9.09,
        },
        overrides,
        drop,
    )


def order_line(*, strain_id: str | None = None, quantity=1, retail=9.09, name="Example Kush") -> dict:
    return {
        "quantity": quantity,
        "strain": {
            "id": strain_id or new_id(),
            "name": name,
            "imageUrl": "00000000-example-kush.png",
            "description": "A synthetic strain.",
            "wholeSalePrice": 6,
            "retailPrice": retail,
        },
        "productAmount": round(retail * quantity, 2),
        "productProfit": 3.09,
    }


def order_detail(
    *, order_id: str | None = None, client_id: str | None = None, lines=None, drop=(), **overrides
):
    """``data`` of GET /dapp/orders/{id}: the order wrapped in ``orderDetails``."""
    client = _nested_client(client_id or new_id(), full_shippings=True)
    client.update({"phoneCode": "+27", "contactNumber": "820000002"})
    inner = _finish(
        {
            "id": order_id or new_id(),
            "invoiceNumber": "PROC0000000000000000000000000001",
            "orderStatus": "PENDING",
            "paymentStatus": "PENDING",
            "totalAmount": 9.09,
            "deliveryFee": 6,
            "totalProfit": 3.59,
            "totalOrdered": 1,
            "totalQuantity": 1,
            "createdAt": "2026-02-01T10:00:00.000Z",
            "updatedAt": "2026-02-02T10:00:00.000Z",
            "transactions": [],
            "nft": NFT,
            "client": client,
            "orderLines": lines if lines is not None else [order_line()],
            "localPrice": {
                "currency": "ZAR",
                "totalAmount": 165,
                "totalProfit": 66,
                "wholeSalePrice": 99,
                "retailPrice": 165,
                "location": {"country": "South Africa", "currency": "ZAR"},
            },
        },
        overrides,
        drop,
    )
    return {"orderDetails": inner}


def client_orders_item(*, order_id: str | None = None, drop=(), **overrides) -> dict:
    return _finish(
        {
            "id": order_id or new_id(),
            "createdAt": "2026-02-01T10:00:00.000Z",
            "updatedAt": "2026-02-01T10:00:00.000Z",
            "paymentStatus": "PENDING",
            "orderStatus": "PENDING",
            "invoiceNumber": "DG_1767000000000abc",
            "totalAmount": 18.18,
            "totalOrdered": 2,
            "totalQuantity": 2,
            "totalPrice": 9.09,
        },
        overrides,
        drop,
    )


def order_create_response(*, client_id: str, drop=(), **overrides) -> dict:
    """``data`` of POST /dapp/orders (the backend returns the whole order row)."""
    return _finish(
        {
            "id": new_id(),
            "orderStatus": "PENDING",
            "paymentStatus": "PENDING",
            "adminApproval": "PENDING",
            "agentProfit": 3.09,
            "totalAmount": 9.09,
            "invoiceNumber": f"DG_1767000000000{client_id}",
            "rejectionNote": None,
            "commissionPaid": False,
            "commissionTransactionHash": None,
            "verifiedAt": None,
            "rejectedAt": None,
            "createdAt": "2026-02-01T10:00:00.000Z",
            "updatedAt": "2026-02-01T10:00:00.000Z",
            "nftId": new_id(),
            "clientId": client_id,
            "shippingId": new_id(),
            "nonce": 0,
        },
        overrides,
        drop,
    )


def sale_item(*, client_id: str | None = None, order_id: str | None = None, drop=(), **overrides) -> dict:
    return _finish(
        {
            "id": new_id(),
            "createdAt": "2026-01-10T09:00:00.000Z",
            "updatedAt": "2026-01-10T09:00:00.000Z",
            "stage": "ONGOING" if order_id else "LEADS",
            "description": None,
            "orderId": order_id,
            "client": {
                "id": client_id or new_id(),
                "firstName": "Cleo",
                "lastName": "Sampleton",
                "email": "cleo.sampleton@example.com",
                "phoneCountryCode": None,
                "phoneCode": "+44",
                "contactNumber": "7700900001",
                "isActive": True,
            },
        },
        overrides,
        drop,
    )


def strain_item(*, drop=(), locations=None, **overrides) -> dict:
    return _finish(
        {
            "id": new_id(),
            "name": "Example Kush",
            "description": "A synthetic strain.",
            "retailPrice": 9.09,
            "wholeSalePrice": 6,
            "type": "Hybrid",
            "thc": 21.5,
            "cbd": "0.8",
            "cbg": None,
            "batchNumber": "B-001",
            "feelings": "Relaxed",
            "helpsWith": "Sleep",
            "effects": "Calm",
            "popularity": 3,
            "flavour": "Citrus",
            "imageUrl": "https://prod-profiles-backend.s3.amazonaws.com/example-kush.png",
            "prices": [
                {"currency": "usd", "retailPrice": 9.09, "wholeSalePrice": 6},
                {"currency": "eur", "retailPrice": 8.4, "wholeSalePrice": 5.55},
            ],
            "strainLocations": locations
            if locations is not None
            else [{"isActive": True, "isAvailable": True, "stockQuantity": 120.5}],
        },
        overrides,
        drop,
    )


def strain_location(code: str, country: str, *, stock=50, active=True, available=True) -> dict:
    return {
        "location": {"id": new_id(), "country": country, "countryCode": code},
        "stockQuantity": stock,
        "isActive": active,
        "isAvailable": available,
    }
