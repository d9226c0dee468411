"""The application's own errors, beside the domain's; library errors never pass this layer."""

from __future__ import annotations

from domain.errors import DomainError, NotFound, RuleViolation

__all__ = ["NotFound", "PreconditionFailed", "Unauthenticated", "VersionConflict"]


class Unauthenticated(DomainError):
    """No valid bearer token."""

    slug = "unauthenticated"


class PreconditionFailed(DomainError):
    """The `If-Match` version is not the current one."""

    slug = "precondition-failed"


class VersionConflict(RuleViolation):
    """Another command changed the same aggregate first."""

    slug = "version-conflict"
