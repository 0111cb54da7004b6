"""batchrepo's code generator: ``schema.yaml`` to typed batch repositories.

The one entry point::

    generate(schema, out_dir="generated") -> {relative path: text}   # pure; writes nothing

``schema`` is a YAML file, ``module:attribute`` naming a schema written in Python, or the object
itself (:mod:`.pipeline`).

Stages, each a folder read in pipeline order, each importing only the ones before it
(``tests/architecture`` holds that):

1. :mod:`.schema`: the front end: YAML -> checked ``SchemaDef``, every problem at once;
2. :mod:`.model`: the resolved schema, and the checks that need it resolved;
3. :mod:`.emit`: the frozen intermediate model (every name, type and SQL string resolved);
4. :mod:`.output`: Jinja rendering, the libcst gate and ruff, writing all files or none;
5. :mod:`.pipeline`: the stages above as ``generate``;
6. :mod:`.migrate` and :mod:`.apidiff`: what a schema change means for a database and for the
   generated API;
7. :mod:`.cli`: ``batchrepo generate | check | migrate | diff | ddl | ir``.

:mod:`.devdb` gives tests, the demo, the benchmarks and the migration verifier a real
PostgreSQL (``DATABASE_URL`` or an embedded server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import generate

__all__ = ["generate"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so the command line can start (and say which extra is missing)
    # where the generator's dependencies are not installed.
    if name == "generate":
        from .pipeline import generate

        return generate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
