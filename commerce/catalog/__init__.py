"""The catalog: products and their listing (`products`), staff changes (`admin`),
stock reservations (`stock`) and the demo shop (`seed`)."""
