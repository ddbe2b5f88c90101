"""Delivery: routing stories to chats, the outbox, the rate-limited sender, digests, formatting."""
