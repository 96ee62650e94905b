"""Key material as Nova makes and reads it (nova/crypto.py): MD5 fingerprints of SSH keys
and SHA-1 fingerprints of x509 certificates, colon-separated hex; generated key pairs."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from nimbus.services.compute.errors import InvalidKeypair


def _colons(hexdigest: str) -> str:
    return ":".join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2))


def ssh_fingerprint(public_key: str) -> str:
    """The MD5 fingerprint of an OpenSSH public key; InvalidKeypair when it is not one."""
    try:
        key = serialization.load_ssh_public_key(public_key.strip().encode())
        body = key.public_bytes(serialization.Encoding.OpenSSH,
                                serialization.PublicFormat.OpenSSH).split()[1]
        return _colons(hashlib.md5(base64.b64decode(body)).hexdigest())  # noqa: S324
    except (ValueError, TypeError, IndexError, binascii.Error, UnicodeError,
            UnsupportedAlgorithm):
        raise InvalidKeypair("failed to generate fingerprint") from None


def x509_fingerprint(certificate: str) -> str:
    """The SHA-1 fingerprint of a PEM certificate; InvalidKeypair when it is not one."""
    try:
        cert = x509.load_pem_x509_certificate(certificate.encode())
    except (ValueError, TypeError, UnicodeError):
        raise InvalidKeypair("failed to generate X509 fingerprint") from None
    return _colons(binascii.hexlify(cert.fingerprint(hashes.SHA1())).decode())  # noqa: S303


def generate_ssh_keypair() -> tuple[str, str, str]:
    """(private key PEM, public key, fingerprint): RSA 2048 with the comment Nova gives it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    public = f"{public} Generated-by-Nova"
    return private, public, ssh_fingerprint(public)


def generate_x509_keypair(user_id: str) -> tuple[str, str, str]:
    """(private key PEM, certificate PEM, fingerprint): a self-signed certificate whose
    subject is the user, valid ten years, as Nova's generate_winrm_x509_cert makes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user_id)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return private, pem, x509_fingerprint(pem)
