"""TLS material for a test engine: a CA, the engine's certificate, a client's and a rogue one."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, Any] | None, usage: Any
) -> x509.Certificate:
    """A certificate for `name` signed by `issuer` (name, key), or a self-signed CA."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0] if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if usage == ExtendedKeyUsageOID.SERVER_AUTH:
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def make_pki(folder: Path) -> Path:
    """A CA (`ca.pem`), the engine's certificate, a client's, and a rogue CA's client's."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    for authority, prefixes in (("ca", ("server-", "")), ("rogue-ca", ("rogue-",))):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate(authority, ca_key, None, None)
        (folder / f"{authority}.pem").write_bytes(ca.public_bytes(pem))
        for prefix in prefixes:
            key = ec.generate_private_key(ec.SECP256R1())
            usage = ExtendedKeyUsageOID.CLIENT_AUTH
            if prefix == "server-":
                usage = ExtendedKeyUsageOID.SERVER_AUTH
            cert = _certificate(f"{prefix}vertice", key, (ca.subject, ca_key), usage)
            (folder / f"{prefix}cert.pem").write_bytes(cert.public_bytes(pem))
            (folder / f"{prefix}key.pem").write_bytes(
                key.private_bytes(
                    pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
    return folder
