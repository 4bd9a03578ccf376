"""The ``taxloop`` command line (Typer). Each area registers its commands from its own module."""
