"""Documents, the Whoosh index and the query engine. Imports analyzers/, never web/."""

import os

# numpy's OpenBLAS runs even the dense scores' matrix-vector product (10k x 384)
# on a thread per core, and its threads spin-wait after each call: 15.5 CPU ms a
# call against 2.6 with one thread, measured with bench/threads_probe.py --what
# dense. A server's parallelism is its workers and request threads; BLAS's only
# burns the cores they need. Set before numpy loads (OpenBLAS reads it once); this
# package is imported before numpy by every entry point. An explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
