"""Domain errors. They carry no HTTP or Temporal types; the API maps them to status codes once."""


class DomainError(Exception):
    """Base class: `detail` is shown to the API caller and names what is wrong."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class Invalid(DomainError):
    pass
