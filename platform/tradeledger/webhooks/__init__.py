"""Signed webhooks: subscriptions per member, delivered at least once and in order from the event feed."""
