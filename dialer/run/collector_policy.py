"""The garbage collector's policy for a dialer process: set at the boundaries of its work, nowhere else.

Two kinds of work want two settings:

* bulk work (reading a list, replaying a results file, planning, saving a checkpoint, building a
  report) makes hundreds of thousands of long-lived objects and no reference cycles: the cyclic
  collector would only rescan the growing heap, again and again, so it is paused;
* dialing: everything alive when it starts (modules, the list, the replay) is frozen out of the
  collector's sight, and collections come less often: every collection pauses the event loop, and a
  request due meanwhile reaches the switch late, bunched with the next. A request makes hundreds of
  short-lived objects, nearly all freed as soon as it is answered, so young collections every 10,000
  new objects instead of 700 find as much; full collections, which rescan every request still in
  flight, are made ten times rarer.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_COLLECTION = 10_000  # new objects between young collections while dialing
OLD_COLLECTION = 100  # young collections between full ones while dialing (Python's default: 10)


@contextmanager
def bulk_work() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is left as it was found."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def dialing() -> Iterator[None]:
    """What is alive now frozen out of the collector's sight, and collections rarer, for the block."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], YOUNG_COLLECTION), thresholds[1], max(thresholds[2], OLD_COLLECTION))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
