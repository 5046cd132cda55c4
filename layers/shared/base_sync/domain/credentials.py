"""The app's own credentials at BASE Developers: read from Secrets Manager, sent to BASE's token endpoint."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr


class AppCredentials(BaseModel):
    """The app registered at BASE Developers. The secret never leaves a ``SecretStr`` except on the wire."""

    client_id: str
    client_secret: SecretStr
    redirect_uri: str
