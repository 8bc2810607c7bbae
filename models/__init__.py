"""Tortoise models: fields, relations, indexes and constraints. No business logic."""

from models.product import Product

__all__ = ["Product"]
