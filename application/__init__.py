"""Use cases over the event store; never imports projections/, api/, FastAPI or psycopg."""
