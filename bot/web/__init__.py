"""The office web console (see app.py)."""
