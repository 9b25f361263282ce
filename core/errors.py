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


class Unauthenticated(DomainError):
    """No one, or no one known: a missing, wrong or expired credential."""


class Forbidden(DomainError):
    """Someone known, not allowed to do this."""


class Gone(DomainError):
    """A link that worked once: used, or expired."""


class TooManyAttempts(DomainError):
    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
