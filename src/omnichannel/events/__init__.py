"""Events leaving the outbox: consumers with their own durable positions (cursors per
shard), retries, parked events and their replay, retention, and the backlog staff
see. Webhooks, server-sent events, broker bridges and feeds are consumers here."""
