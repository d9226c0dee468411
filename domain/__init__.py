"""The model: aggregates, their events and errors; imports only the standard library and eventsourcing.domain."""
