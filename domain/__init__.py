"""The model: aggregates, events, values, errors, the role table; only the stdlib and eventsourcing.domain."""
