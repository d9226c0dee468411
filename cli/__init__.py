"""The `mentorat` command: parse, call bootstrap, print."""
