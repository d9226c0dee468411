"""The edges: settings, composition root, HTTP app, errors, authentication and CLI; the only place that picks infrastructure."""
