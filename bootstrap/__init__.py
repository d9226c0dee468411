"""The one composition root: settings, building the service, the read side and the background duties."""
