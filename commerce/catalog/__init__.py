"""The catalog: products and their listing (`products`), full-text search (`search`),
facet counts (`facets`), variant rules (`variants`), staff changes (`admin`,
`variant_admin`), stock reservations (`stock`) and the demo shop (`seed`)."""

__all__ = [
    "products", "search", "facets", "variants", "admin", "variant_admin", "stock", "seed",
]
