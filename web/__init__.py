"""The web app: server-rendered pages in French and English over the same commands and read models as the API."""
