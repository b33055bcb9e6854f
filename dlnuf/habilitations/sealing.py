"""Encryption of credential secrets waiting to be shown once (Fernet, key derived from
SECRET_KEY). A database copy alone never yields a usable secret."""

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_CONTEXT = b"dlnuf credential reveal v1"


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> bytes:
    return _fernet().encrypt(secret.encode())


def unseal(ciphertext: bytes) -> str:
    return _fernet().decrypt(ciphertext).decode()
