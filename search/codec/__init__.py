"""Every private name of Whoosh (underscore attributes, whoosh.codec internals) that Lintas uses.

A Whoosh upgrade that moves them breaks here, in one place, and the tests that
compare our paths with Whoosh's own say so. read.py reads the whoosh3 format
whole (posting lists, length columns, a segment's files) and patches a reader;
write.py replaces the flush that writes a segment's postings, and the pool
filling of add_document and of a merge, with ones that write the same bytes at less CPU, and
writes each new segment's sidecar from the postings its flush wrote.
"""

from .read import (
                   LENGTH_OF_BYTE,
                   VALUE_HEADER,
                   WHOOSH_CACHED_READER,
                   Block,
                   RawBlock,
                   block_values,
                   blocks,
                   field_postings,
                   length_bytes,
                   live_codec,
                   merge_postings,
                   merge_segments,
                   reopen,
                   segment_fingerprint,
                   segment_folder,
                   segment_of_file,
                   term_matcher,
                   unpickle_value,
                   unpickle_values,
)
from .write import (
                   WHOOSH_ADD_DOCUMENT,
                   WHOOSH_ADD_POSTINGS,
                   WHOOSH_ADD_POSTINGS_TO_POOL,
                   WHOOSH_FINALIZE_SEGMENT,
                   WHOOSH_POOL_ITEMS,
                   WHOOSH_POOL_SAVE,
                   add_document,
                   add_postings,
                   capture_sidecars,
                   pool_fill_gauge,
)

__all__ = ["LENGTH_OF_BYTE", "VALUE_HEADER", "WHOOSH_ADD_DOCUMENT", "WHOOSH_ADD_POSTINGS", "WHOOSH_ADD_POSTINGS_TO_POOL", "WHOOSH_FINALIZE_SEGMENT", "WHOOSH_POOL_ITEMS", "WHOOSH_POOL_SAVE", "WHOOSH_CACHED_READER", "Block", "RawBlock",
           "add_document", "add_postings", "block_values", "capture_sidecars", "pool_fill_gauge", "blocks", "field_postings", "length_bytes", "live_codec",
           "merge_postings", "merge_segments", "reopen", "segment_fingerprint", "segment_folder", "segment_of_file", "term_matcher",
           "unpickle_value", "unpickle_values"]
