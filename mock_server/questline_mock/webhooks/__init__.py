"""Webhooks: the durable outbox, signing, and the delivery worker."""
