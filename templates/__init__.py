"""Jinja templates of the generated package (one per output kind; partials start with ``_``)."""
