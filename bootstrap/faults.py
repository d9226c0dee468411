"""The store's faults as the API sees them, without a driver: `unavailable(error)` means answer 503."""

from __future__ import annotations

from infrastructure.faults import is_unavailable as unavailable

__all__ = ["unavailable"]
