"""Web workbench: server-rendered pages (Jinja) for officers, analysts, inspectors and leaders, in zh and en."""
