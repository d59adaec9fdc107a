"""The domain error hierarchy: each message is meant for a shop manager, not a developer."""


class DomainError(Exception):
    """A rule refused an action; ``str(error)`` is the message to show."""

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule

    def __str__(self) -> str:
        return self.message


class ValidationError(DomainError):
    """Input that cannot be accepted as it is (bad VIN, negative price ...)."""


class NotFound(DomainError):
    """The record does not exist, or belongs to another shop."""


class PermissionDenied(DomainError):
    """The actor's role may not do this."""


class TransitionRefused(DomainError):
    """A state machine refused a move."""
