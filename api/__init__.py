"""The edges: settings, composition root, HTTP app, errors, auth and CLI; the only place picking infrastructure."""
