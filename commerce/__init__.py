"""Business rules as plain async functions. No Strawberry, no Starlette."""
