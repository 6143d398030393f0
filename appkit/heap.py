"""The process's long-lived objects, set aside once from Python's cycle collector.

A full collection (generation 2) walks every object the collector tracks, and no thread runs meanwhile:
with Streamlit, NumPy, scikit-learn and Plotly loaded that is ~170,000 objects, 0.16-0.27 s on this machine,
and 0.2-0.8 s seen in a loaded server, where each one stopped every session's chart updates at once
(benchmarks/bench_fairness.py, the server's collections logged with gc.callbacks). Modules, classes and
Plotly's tables live as long as the process: after a first page has run, `freeze_once` collects what is
garbage by then and moves everything still alive to the permanent generation (`gc.freeze`), so later full
collections walk only what came after. The price: a cycle among the objects of that first visit (one
session's) that becomes garbage later is never collected; objects freed by reference counting still are.
"""

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_once() -> bool:
    """The first call in this process collects garbage, then freezes every object alive (True); later
    calls do nothing (False)."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        gc.collect()
        gc.freeze()
        _frozen = True
        return True
