"""Use cases, the Application (`mentorat.py`), authorization, ports; never infrastructure/, bootstrap/, api/, cli/."""
