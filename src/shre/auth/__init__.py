"""Authentication (passwords, tokens, throttling) and authorization (roles, policy)."""
