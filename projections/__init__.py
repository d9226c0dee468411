"""The read side: read models derived from events; imports domain events, never application/ or api/."""
