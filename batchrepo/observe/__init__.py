"""What a running batch job shows of itself: telemetry, logs and progress.

* :mod:`.telemetry`: an OpenTelemetry span and metric points per operation (a no-op until the
  application installs an SDK) and the ``batchrepo`` logger. Operations open an
  :class:`Observed` per call, with ``with`` (streams: start and finish).
* :mod:`.instruments`: the tracer, the metric instruments and their names after the database
  semantic conventions; :func:`use_providers` (providers of the application's own instead of
  the global ones) and :func:`retried` (what ``run_unit`` calls before each retry).
* :mod:`.progress`: :class:`ProgressEvent`, what the ``progress`` callback of the chunked and
  streamed operations receives after each chunk, and :class:`ProgressReport`, which makes them.

README "Monitoring" shows what an application sees.
"""

from batchrepo.observe.instruments import retried, use_providers
from batchrepo.observe.progress import ProgressCallback, ProgressEvent, ProgressReport
from batchrepo.observe.telemetry import Observed, logger

__all__ = [
    "Observed",
    "ProgressCallback",
    "ProgressEvent",
    "ProgressReport",
    "logger",
    "retried",
    "use_providers",
]
