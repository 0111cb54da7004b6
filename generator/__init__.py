"""batchrepo's code generator: ``schema.yaml`` to typed batch repositories (``generate``)."""

from __future__ import annotations

from .pipeline import generate

__all__ = ["generate"]
