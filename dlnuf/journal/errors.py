"""Errors of the journal that other parts of the product handle."""


class JournalUnavailable(Exception):
    """The entry could not be written: the exchange must fail and send no data."""


class ProofRequestError(ValueError):
    """A tree head or proof was asked for sizes or positions the tree cannot answer."""

    def __init__(self, *, parameter: str, code: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter = parameter
        self.code = code
        self.detail = detail


class JournalIntegrityError(Exception):
    """A hash the tree needs is missing from the database: the journal has been tampered with."""
