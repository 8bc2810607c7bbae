"""What leaves the shop, in the schema: the change feed `orderEvents` (`feed`),
partner webhook subscriptions and their delivery log (`webhooks`), and live order
updates over websockets (`subscriptions`)."""

__all__ = ["feed", "subscriptions", "webhooks"]
