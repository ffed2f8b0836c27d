"""Typed errors of the search core; the CLI and the web layer only translate them."""


class LintasError(Exception):
    """Base of every error Lintas reports to a person."""

    status = 400


class BadRequest(LintasError):
    """A search request whose parameters are out of range or malformed."""


class IndexNotFound(LintasError):
    """No Lintas index exists at the given path."""

    status = 503


class DocumentNotFound(LintasError):
    """No document with that id is in the index."""

    status = 404


class IndexVersionMismatch(LintasError):
    """The index was built by a Lintas whose schema or analyzers differ."""

    status = 503


class IndexBusy(LintasError):
    """Another process holds the index's write lock."""

    status = 503


class NotSupported(LintasError):
    """A request this index cannot serve (the write API on a sharded index)."""

    status = 501
