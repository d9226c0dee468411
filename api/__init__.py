"""The JSON API only: app, routes, dependencies, schemas, problems, OpenAPI, middleware; no driver, no crypto."""
