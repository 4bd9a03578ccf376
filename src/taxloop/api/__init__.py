"""HTTP API (FastAPI) and web workbench: one router per resource; the CLI and the API call the same services."""
