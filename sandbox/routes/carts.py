"""``/dapp/carts`` (facts §6.5): add merges by adding, stock checked in the first shipping country."""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from sandbox.errors import HttpError
from sandbox.routes.common import paging, placeholders, sort_dir
from sandbox.routing import Ctx, RouteTable
from sandbox.store import new_id
from sandbox.validation import (
    PAGINATION,
    Field,
    r_array_min,
    r_min,
    r_not_empty,
    r_number,
    r_string,
    r_uuid,
    validate,
)

routes = RouteTable()

CART_ITEM: list[Field] = [
    Field("strainId", [r_uuid(), r_string(), r_not_empty()]),
    Field("quantity", [r_number(3), r_min(0.001), r_not_empty()]),
]
ADD_TO_CART: list[Field] = [
    Field("items", [r_array_min(1)], nested=CART_ITEM, nested_each=True),
    Field("clientCartId", [r_uuid(), r_string(), r_not_empty()]),
]
LIST_CARTS: list[Field] = [Field("search", [r_string()], optional=True), *PAGINATION]


@routes.post("/dapp/carts")
def add(ctx: Ctx) -> Any:
    body = validate(ADD_TO_CART, ctx.body)
    cart_id = body["clientCartId"]
    store = ctx.store
    # No holder-ownership check on clientCartId in the source.
    cart = store.one("SELECT * FROM client_carts WHERE id = ?", (cart_id,))
    shipping = None
    if cart is not None:
        shipping = store.one(
            "SELECT country_code FROM shippings WHERE client_id = ? ORDER BY rowid LIMIT 1",
            (cart["client_id"],),
        )
    if cart is None or shipping is None:
        raise HttpError(400, "Client shipping address not found.")
    code = shipping["country_code"]
    if not code:
        raise HttpError(400, "Shipping country code is required.")
    for item in body["items"]:
        loc = store.one(
            "SELECT sl.stock_quantity FROM strain_locations sl JOIN locations l ON l.id = sl.location_id"
            " WHERE sl.strain_id = ? AND l.country_code = ? AND sl.is_available = 1 AND sl.is_active = 1",
            (item["strainId"], code),
        )
        if loc is None:
            raise HttpError(400, f"Strain {item['strainId']} is not available in your region ({code})")
        if loc["stock_quantity"] < item["quantity"]:
            raise HttpError(
                400,
                f"Strain {item['strainId']} is not available in sufficient quantity in your region ({code})",
            )
    # ``CartsRepository.addToCart``: in one transaction, the request's items then the cart's
    # rows are merged by strain, ADDING quantities (a retried add doubles them), and the cart
    # is rewritten (deleteMany + createMany): every row is new, request strains first, all
    # stamped now; the message counts the rows written.
    merged: dict[str, float] = {}
    existing = store.all(
        "SELECT strain_id, quantity FROM cart_items WHERE cart_id = ? ORDER BY rowid", (cart_id,)
    )
    for sid, qty in [(i["strainId"], i["quantity"]) for i in body["items"]] + [
        (r["strain_id"], r["quantity"]) for r in existing
    ]:
        merged[sid] = merged[sid] + qty if sid in merged else qty
    now = ctx.now()
    store.conn.execute("DELETE FROM cart_items WHERE cart_id = ?", (cart_id,))
    store.conn.executemany(
        "INSERT INTO cart_items (id, cart_id, strain_id, quantity, created_at) VALUES (?,?,?,?,?)",
        [(new_id(), cart_id, sid, qty, now) for sid, qty in merged.items()],
    )
    count = len(merged)
    return {"message": f"{count} items added to the cart"}


@routes.get("/dapp/carts")
def list_carts(ctx: Ctx) -> Any:
    q = validate(LIST_CARTS, ctx.query)
    where = (
        "c.nft_id = ? AND EXISTS (SELECT 1 FROM client_carts cc JOIN cart_items ci ON ci.cart_id = cc.id"
        " WHERE cc.client_id = c.id)"
    )
    args: list[Any] = [ctx.nft_id]
    if q.get("search"):
        where += (
            " AND (instr(lower(c.first_name), lower(?)) > 0 OR instr(lower(c.last_name), lower(?)) > 0"
            " OR instr(lower(c.email), lower(?)) > 0)"
        )
        args += [q["search"]] * 3
    count = ctx.store.count(f"SELECT COUNT(*) FROM clients c WHERE {where}", args)
    take, skip = paging(q)
    direction = sort_dir(q)
    rows = ctx.store.all(
        f"SELECT c.* FROM clients c WHERE {where} ORDER BY c.created_at {direction}, c.rowid {direction}"
        " LIMIT ? OFFSET ?",
        [*args, take, skip],
    )
    ids = [r["id"] for r in rows]
    carts = {}
    items: dict[str, list[Any]] = {}
    if ids:
        for cart in ctx.store.all(
            f"SELECT * FROM client_carts WHERE client_id IN ({placeholders(len(ids))})",
            ids,
        ):
            carts[cart["client_id"]] = cart
        cart_ids = [c["id"] for c in carts.values()]
        for it in ctx.store.all(
            "SELECT ci.*, s.retail_price, s.name FROM cart_items ci JOIN strains s ON s.id = ci.strain_id"
            f" WHERE ci.cart_id IN ({placeholders(len(cart_ids))}) ORDER BY ci.created_at DESC, ci.rowid"
            " DESC",
            cart_ids,
        ):
            items.setdefault(it["cart_id"], []).append(it)
    out = []
    for r in rows:
        cart = carts[r["id"]]
        cart_items = []
        total_amount = 0.0
        total_quantity = 0.0
        for it in items.get(cart["id"], []):
            amount = it["quantity"] * it["retail_price"]
            total_amount += amount
            total_quantity += it["quantity"]
            cart_items.append(
                {
                    "quantity": it["quantity"],
                    "createdAt": it["created_at"],
                    "strain": {"id": it["strain_id"], "retailPrice": it["retail_price"], "name": it["name"]},
                    "totalAmount": amount,
                }
            )
        out.append(
            {
                "id": r["id"],
                "firstName": r["first_name"],
                "lastName": r["last_name"],
                "email": r["email"],
                "clientCart": [
                    {
                        "id": cart["id"],
                        "cartItems": cart_items,
                        "totalAmount": total_amount,
                        "totalQuatity": total_quantity,  # sic: the real field name
                        "createdAt": cart_items[0]["createdAt"] if cart_items else None,
                    }
                ],
            }
        )
    return {"clients": out, "paginationCount": count}


@routes.delete("/dapp/carts/:cartId")
def delete(ctx: Ctx) -> Any:
    cart_id = ctx.params["cartId"]
    if not cart_id:
        raise HttpError(400, ["cartId should not be empty"])
    store = ctx.store
    if store.one("SELECT 1 FROM client_carts WHERE id = ?", (cart_id,)) is None:
        raise HttpError(502, "Client Cart not found")
    strain_id = ctx.query.get("strainId")
    if strain_id:
        if (
            not isinstance(strain_id, str)
            or store.one("SELECT 1 FROM cart_items WHERE cart_id = ? AND strain_id = ?", (cart_id, strain_id))
            is None
        ):
            raise HttpError(502, "Cart Item not found with the given strain id")
        store.conn.execute("DELETE FROM cart_items WHERE cart_id = ? AND strain_id = ?", (cart_id, strain_id))
        return {"message": "strain is deleted successfully from cart"}
    store.conn.execute("DELETE FROM cart_items WHERE cart_id = ?", (cart_id,))
    return {"message": "cart has been deleted successfully"}
