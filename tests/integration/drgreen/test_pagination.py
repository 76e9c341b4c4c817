"""Page parsing and the page-walking iterator, over fake page-fetch functions."""

from __future__ import annotations

import math

import pytest

from integration.drgreen import Page, PageMeta, ResponseFormatError, iterate


def meta(page, take, item_count, **over):
    page_count = math.ceil(item_count / int(take)) if int(take) else 0
    base = {
        "page": page,
        "take": take,
        "itemCount": item_count,
        "pageCount": page_count,
        "hasPreviousPage": int(page) > 1,
        "hasNextPage": int(page) < page_count,
    }
    base.update(over)
    return base


def test_page_meta_with_string_page_and_take():
    m = PageMeta.from_dict(meta("2", "10", 25))
    assert m == PageMeta(page=2, take=10, item_count=25, page_count=3, has_next=True, has_previous=True)


def test_page_meta_mixed_types_like_the_docs_sample():
    m = PageMeta.from_dict(
        {
            "page": "1",
            "take": 10,
            "itemCount": 47,
            "pageCount": 5,
            "hasPreviousPage": False,
            "hasNextPage": True,
        }
    )
    assert (m.page, m.take, m.page_count, m.has_next, m.has_previous) == (1, 10, 5, True, False)


def test_page_meta_derives_missing_flags():
    m = PageMeta.from_dict({"page": "3", "take": "10", "itemCount": 30})
    assert (m.page_count, m.has_next, m.has_previous) == (3, False, True)


def test_missing_meta_guesses_from_a_full_page():
    full = PageMeta.from_dict(None, page=2, take=3, items_on_page=3)
    short = PageMeta.from_dict(None, page=2, take=3, items_on_page=1)
    assert (full.has_next, short.has_next, full.has_previous) == (True, False, True)


def test_page_from_data_uses_the_wrapper():
    data = {"orders": [{"id": "a"}], "pageMetaDto": meta("1", "10", 1)}
    page = Page.from_data(data, "orders", page=1, take=10)
    assert page.items == [{"id": "a"}]
    assert page.meta.item_count == 1
    assert page.raw is not data and page.raw["orders"] == [{"id": "a"}]
    with pytest.raises(ResponseFormatError):
        Page.from_data({"clients": []}, "orders")
    with pytest.raises(ResponseFormatError):
        Page.from_data({"orders": ["not-an-object"]}, "orders")


class FakeList:
    """A server-side list sorted like Dr Green (createdAt asc or desc), paged with page/take."""

    def __init__(self, ids, *, string_meta=True):
        self.rows = [{"id": i, "n": n} for n, i in enumerate(ids)]
        self.calls = []
        self.string_meta = string_meta
        self.before_page = {}  # page number -> callable mutating rows before serving it

    def __call__(self, *, page, take, order_by):
        self.calls.append((page, take, order_by))
        if page in self.before_page:
            self.before_page.pop(page)(self.rows)
        rows = self.rows if order_by == "asc" else list(reversed(self.rows))
        chunk = rows[(page - 1) * take : page * take]
        p, t = (str(page), str(take)) if self.string_meta else (page, take)
        data = {"items": chunk, "pageMetaDto": meta(p, t, len(rows))}
        return Page.from_data(data, "items", page=page, take=take)


def test_iterate_walks_all_pages_and_stops_on_has_next_false():
    fake = FakeList([f"id{i}" for i in range(7)])
    got = [item["id"] for item in iterate(fake, take=3)]
    assert got == [f"id{i}" for i in range(7)]
    assert fake.calls == [(1, 3, "asc"), (2, 3, "asc"), (3, 3, "asc")]


def test_iterate_exact_multiple_does_not_fetch_an_extra_page():
    fake = FakeList([f"id{i}" for i in range(6)], string_meta=False)
    assert len(list(iterate(fake, take=3))) == 6
    assert len(fake.calls) == 2


def test_iterate_deduplicates_when_rows_shift_under_desc():
    fake = FakeList([f"id{i}" for i in range(6)])
    # Two new rows are created after page 1 was read: under desc they push id3/id2 onto page 2.
    fake.before_page[2] = lambda rows: rows.extend([{"id": "new1"}, {"id": "new2"}])
    got = [item["id"] for item in iterate(fake, take=3, order_by="desc")]
    assert len(got) == len(set(got))
    assert set(got) >= {f"id{i}" for i in range(6)}


def test_iterate_stops_on_an_empty_page_without_meta():
    calls = []

    def fetch(*, page, take, order_by):
        calls.append(page)
        rows = [{"id": f"r{i}"} for i in range(4)][(page - 1) * take : page * take]
        return Page.from_data({"items": rows}, "items", page=page, take=take)

    assert [r["id"] for r in iterate(fetch, take=2)] == ["r0", "r1", "r2", "r3"]
    assert calls == [1, 2, 3]


def test_iterate_stops_when_the_server_ignores_page():
    calls = []

    def fetch(*, page, take, order_by):
        calls.append(page)
        data = {"items": [{"id": "a"}, {"id": "b"}], "pageMetaDto": {"hasNextPage": True}}
        return Page.from_data(data, "items", page=page, take=take)

    assert [r["id"] for r in iterate(fetch, take=2)] == ["a", "b"]
    assert calls == [1, 2]


def test_iterate_starts_at_start_page_and_keeps_items_without_id():
    fake = FakeList(["a", "b", "c", "d"])
    fake.rows.append({"name": "no id"})
    got = list(iterate(fake, take=2, start_page=2))
    assert got == [{"id": "c", "n": 2}, {"id": "d", "n": 3}, {"name": "no id"}]
