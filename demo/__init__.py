"""The simulated programme and its independent self-check; only cli/ imports it."""
