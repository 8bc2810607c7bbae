"""Full-text search of the catalog, on each database's own engine.

A product's document is its title (weighted above the rest) and its
description, tags, SKUs and option values. PostgreSQL keeps it in
`product_search` as `tsvector`s behind a GIN index; SQLite keeps it in an FTS5
table of the same name. Both get the same words: text is cut into words here
(letters and digits, lower-cased), so both engines index and match alike.

Translated text (commerce.catalog.translations) has documents of its own, one
per product and language, in `product_search_translation`: its translated
title, description and option values. A search in a language other than the
shop's matches a product by either document, so a German shopper finds the
product by its German words and by the shop's own.

`reindex` runs inside the transaction that changed the catalog, so the index
never disagrees with what it describes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tortoise.connection import get_connection

from models import Product, ProductTag, ProductVariant, Translation

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


async def _translated_documents(product_ids: list[int]) -> dict[tuple[int, str], tuple[str, str]]:
    """(title words, other words) per product and language it has translations in."""
    parts: dict[tuple[int, str], dict[str, list[str]]] = {}
    rows = await Translation.filter(resource_kind="product", resource_id__in=product_ids).values_list(
        "resource_id", "language", "key", "value")
    for product_id, language, key, value in rows:
        document = parts.setdefault((product_id, language), {"title": [], "body": []})
        if key == "title":
            document["title"].append(value)
        elif key == "description" or key.startswith("value:"):
            document["body"].append(value)
    return {where: (" ".join(words(" ".join(d["title"]))), " ".join(words(" ".join(d["body"]))))
            for where, d in parts.items()}


async def _reindex_translations(product_ids: list[int]) -> None:
    documents = await _translated_documents(product_ids)
    connection = get_connection("default")
    sqlite = _dialect() == "sqlite"
    marks = ", ".join("?" if sqlite else f"${i + 1}" for i in range(len(product_ids)))
    await connection.execute_query(f"DELETE FROM product_search_translation WHERE product_id IN ({marks})",
                                   product_ids)
    for (pid, language), (title, body) in documents.items():
        if sqlite:
            await connection.execute_query(
                "INSERT INTO product_search_translation (product_id, language, title, body) VALUES (?, ?, ?, ?)",
                [pid, language, title, body])
        else:
            await connection.execute_query(
                "INSERT INTO product_search_translation (product_id, language, title, document)"
                " VALUES ($1, $2, to_tsvector('simple', $3),"
                " setweight(to_tsvector('simple', $3), 'A') || setweight(to_tsvector('simple', $4), 'B'))",
                [pid, language, title, body])


async def reindex(product_ids: Iterable[int]) -> None:
    """Rewrites the search documents of these products (deleted ones drop out). Call inside the change's transaction."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    documents = await _documents(ids)
    await _reindex_translations(ids)
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


async def matching(query: str, language: str | None = None) -> dict[int, int]:
    """Products matching every word of `query` (the last as a prefix), with their relevance:
    1 when the title alone matches, 0 otherwise. A query without words matches nothing.

    With a `language` (one other than the shop's), a product also matches by its document in that language."""
    terms = words(query)[:MAX_WORDS]
    if not terms:
        return {}
    connection = get_connection("default")
    if _dialect() == "sqlite":
        match = " ".join(f'"{t}"' for t in terms[:-1]) + f' "{terms[-1]}"*'
        sql = ("SELECT s.rowid AS id, EXISTS (SELECT 1 FROM product_search t WHERE t.rowid = s.rowid AND t.product_search"
               " MATCH ?) AS in_title FROM product_search s WHERE s.product_search MATCH ?")
        params: list[object] = [f"title: ({match})", match]
        if language is not None:
            sql += (" UNION ALL SELECT s.product_id AS id, EXISTS (SELECT 1 FROM product_search_translation t"
                    " WHERE t.rowid = s.rowid AND t.product_search_translation MATCH ?) AS in_title"
                    " FROM product_search_translation s WHERE s.product_search_translation MATCH ? AND s.language = ?")
            params += [f"title: ({match})", match, language]
    else:
        tsquery = " & ".join([*terms[:-1], f"{terms[-1]}:*"])
        sql = ("SELECT product_id AS id, (title @@ to_tsquery('simple', $1)) AS in_title FROM product_search"
               " WHERE document @@ to_tsquery('simple', $1)")
        params = [tsquery]
        if language is not None:
            sql += (" UNION ALL SELECT product_id AS id, (title @@ to_tsquery('simple', $1)) AS in_title"
                    " FROM product_search_translation WHERE document @@ to_tsquery('simple', $1) AND language = $2")
            params.append(language)
    found: dict[int, int] = {}
    for row in await connection.execute_query_dict(sql, params):
        found[row["id"]] = max(found.get(row["id"], 0), int(bool(row["in_title"])))
    return found
