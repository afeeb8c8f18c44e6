"""Email alerts: visitors' subscriptions to a search or an entry (double opt-in, a daily digest
of published changes), and the one mail path every message of the tracker takes."""
