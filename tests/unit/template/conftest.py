"""The provisioning tests make the template's resources on moto in server mode (real HTTP on loopback)."""

from __future__ import annotations

from tests.reliability.fixtures import moto_url

__all__ = ["moto_url"]
