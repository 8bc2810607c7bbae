"""Full-text search of the catalog, on each database's own engine.

A product's document is its title (weighted above the rest) and its
description, tags, SKUs and option values. PostgreSQL keeps it in
`product_search` as `tsvector`s behind a GIN index; SQLite keeps it in an FTS5
table of the same name. Both get the same words: text is cut into words here
(letters and digits, lower-cased), so both engines index and match alike.

`reindex` runs inside the transaction that changed the catalog, so the index
never disagrees with what it describes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tortoise.connection import get_connection

from models import Product, ProductTag, ProductVariant

__all__ = ["words", "reindex", "matching"]

MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)

def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _dialect() -> str:
    return get_connection("default").capabilities.dialect


async def _documents(product_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(title words, other words) per existing product."""
    extra: dict[int, list[str]] = {p: [] for p in product_ids}
    for product_id, tag in await ProductTag.filter(product_id__in=product_ids).values_list("product_id", "tag"):
        extra[product_id].append(tag)
    for product_id, sku, options in await ProductVariant.filter(product_id__in=product_ids).values_list(
            "product_id", "sku", "selected_options"):
        extra[product_id] += [sku or "", *(o["value"] for o in options)]
    rows = await Product.filter(id__in=product_ids).values_list("id", "title", "description")
    return {pid: (" ".join(words(title)), " ".join(words(" ".join([description, *extra[pid]]))))
            for pid, title, description in rows}


async def reindex(product_ids: Iterable[int]) -> None:
    """Rewrites the search documents of these products (deleted ones drop out). Call inside the change's transaction."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    documents = await _documents(ids)
    connection = get_connection("default")
    marks = ", ".join("?" if _dialect() == "sqlite" else f"${i + 1}" for i in range(len(ids)))
    if _dialect() == "sqlite":
        await connection.execute_query(f"DELETE FROM product_search WHERE rowid IN ({marks})", ids)
        for pid, (title, body) in documents.items():
            await connection.execute_query("INSERT INTO product_search (rowid, title, body) VALUES (?, ?, ?)",
                                           [pid, title, body])
        return
    await connection.execute_query(f"DELETE FROM product_search WHERE product_id IN ({marks})", ids)
    for pid, (title, body) in documents.items():
        await connection.execute_query(
            "INSERT INTO product_search (product_id, title, document) VALUES ($1, to_tsvector('simple', $2),"
            " setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B'))",
            [pid, title, body])


async def matching(query: str) -> dict[int, int]:
    """Products matching every word of `query` (the last as a prefix), with their relevance:
    1 when the title alone matches, 0 otherwise. A query without words matches nothing."""
    terms = words(query)[:MAX_WORDS]
    if not terms:
        return {}
    connection = get_connection("default")
    if _dialect() == "sqlite":
        match = " ".join(f'"{t}"' for t in terms[:-1]) + f' "{terms[-1]}"*'
        rows = await connection.execute_query_dict(
            "SELECT s.rowid AS id, EXISTS (SELECT 1 FROM product_search t WHERE t.rowid = s.rowid AND t.product_search"
            " MATCH ?) AS in_title FROM product_search s WHERE s.product_search MATCH ?",
            [f"title: ({match})", match])
    else:
        tsquery = " & ".join([*terms[:-1], f"{terms[-1]}:*"])
        rows = await connection.execute_query_dict(
            "SELECT product_id AS id, (title @@ to_tsquery('simple', $1)) AS in_title FROM product_search"
            " WHERE document @@ to_tsquery('simple', $1)", [tsquery])
    return {row["id"]: int(bool(row["in_title"])) for row in rows}
