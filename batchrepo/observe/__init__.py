"""What a running batch job shows of itself: telemetry, logs and progress.

* :mod:`.telemetry`: an OpenTelemetry span and metric points per operation (a no-op until the
  application installs an SDK), the ``batchrepo`` logger, :func:`use_providers` (providers of
  the application's own instead of the global ones) and :func:`retried` (the hook the retry
  helper calls). Operations open an :class:`Observed` per call, with ``with`` (streams: start
  and finish).
* :mod:`.progress`: :class:`ProgressEvent`, what the ``progress`` callback of the chunked and
  streamed operations receives after each chunk, and :class:`ProgressReport`, which makes them.

README "Monitoring" shows what an application sees.
"""

from batchrepo.observe.progress import ProgressCallback, ProgressEvent, ProgressReport
from batchrepo.observe.telemetry import Observed, logger, retried, use_providers

__all__ = [
    "Observed",
    "ProgressCallback",
    "ProgressEvent",
    "ProgressReport",
    "logger",
    "retried",
    "use_providers",
]
