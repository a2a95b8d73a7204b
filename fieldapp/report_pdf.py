"""WeasyPrint for the report and other PDFs: imported quickly, rendered with fewer
garbage collections. `render_pdf(html)` gives the bytes of a PDF.
"""
import contextlib
import gc
import os
import threading

__all__ = ["render_pdf", "weasyprint_module"]

# ldconfig's ABI tag of this interpreter's libraries, as ctypes.util reads it
_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}


def _linker_cache():
    """`ldconfig -p` of this machine (bytes), or None when it cannot be read."""
    import subprocess
    try:
        return subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, timeout=10,
                              env={"LC_ALL": "C", "LANG": "C"}, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None


_import_lock = threading.Lock()


def weasyprint_module():
    """The weasyprint module, imported without ctypes' slow search for missing libraries.

    WeasyPrint asks for each of its 7 libraries by Windows and macOS names first; on Linux
    every miss makes `ctypes.util.find_library` run ldconfig, gcc and ld (~0.3 s in all).
    While it imports, names are looked up in one `ldconfig -p` listing, as find_library
    itself does first; a name not listed is a miss, and WeasyPrint goes on to the Linux
    file name (libpango-1.0.so.0), which the dynamic linker finds itself.
    """
    import sys
    with _import_lock:      # one thread swaps find_library, and puts the original back
        if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
            import weasyprint
            return weasyprint
        listing = _linker_cache()
        if listing is None:
            import weasyprint
            return weasyprint
        import ctypes.util
        original = ctypes.util.find_library
        ctypes.util.find_library = _listed_library_finder(listing)
        try:
            import weasyprint
        finally:
            ctypes.util.find_library = original
        return weasyprint


def _listed_library_finder(listing):
    """find_library(name) answered from an `ldconfig -p` listing, as ctypes reads it."""
    import re
    import struct
    abi = os.fsencode(_ABI.get(f"{os.uname().machine}-{struct.calcsize('l') * 8}", "libc6"))

    def find_library(name):
        found = re.search(rb"\s+(lib%s\.[^\s]+)\s+\(%s" % (re.escape(os.fsencode(name)), abi),
                          listing)
        return os.fsdecode(found.group(1)) if found else None
    return find_library


_collector = {"users": 0, "threshold": None}
_collector_lock = threading.Lock()


@contextlib.contextmanager
def _fewer_collections(gen0=20_000):
    """Run the cyclic garbage collector less often inside the block (thread-safe, nested).

    WeasyPrint makes ~10^5 short-lived objects for a report; at the default gen-0
    threshold of 700 the collector runs ~230 times and traces them again and again
    (~10 % of the rendering). At 20 000 it runs a handful of times.
    """
    with _collector_lock:
        if not _collector["users"]:
            _collector["threshold"] = gc.get_threshold()
            first, *rest = _collector["threshold"]
            gc.set_threshold(max(first, gen0), *rest)
        _collector["users"] += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector["users"] -= 1
            if not _collector["users"]:
                gc.set_threshold(*_collector["threshold"])


def render_pdf(html, base_url=None):
    """PDF bytes of an HTML document; `base_url` resolves its relative addresses."""
    weasyprint = weasyprint_module()
    with _fewer_collections():
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf()
