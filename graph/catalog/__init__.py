"""The catalog in the schema: product, variant and image types (`types`),
collections (`collections`), the `products`/`product`/`collections` queries with
search, filters and facets (`queries`), and the staff mutations on products
(`staff_products`) and on variants, stock and collections (`staff_variants`)."""

__all__ = ["collections", "queries", "staff_products", "staff_variants", "types"]
