"""The pause of Python's cyclic garbage collector while many acyclic containers are made."""
import contextlib
import gc

__all__ = ["no_cycle_collection"]


@contextlib.contextmanager
def no_cycle_collection(promote=False):
    """Pause the cyclic GC while making many containers that form no cycles (an import,
    a copy of every history): otherwise their allocation triggers collections that walk
    every stored version again and again. Nesting and threads only ever delay re-enabling.

    With `promote`, for what is made to be kept (an import's versions), everything the
    collector tracks is then moved straight to its oldest generation (`gc.freeze` and
    `gc.unfreeze`, each a splice of two lists in CPython with the GIL), instead of being
    walked by a young and a middle collection first. Cyclic garbage among it, if any, is
    left for the next full collection, which the collector starts as usual. Nothing is
    done while other objects are frozen (a process that froze its heap before forking).

    Measured gain (`python bench/import.py --compare`, 150,000 versions, 2/12/2026, 2
    shared cores, load 2-3): the import takes 1.9-2.4x parse with it, 2.8-3.4x without
    (1.3-1.5x the time, in CPU time too); every indicator of the commune takes
    1.4-1.6x as long without it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if promote and not gc.get_freeze_count():    # never thaw what someone else froze
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()
