"""Webhooks: callers' endpoints, the deliveries queued with each event, and sending them."""
