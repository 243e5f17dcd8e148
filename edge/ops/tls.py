"""A local certificate authority and a server certificate for the edge box.

Browsers give a page the camera and a service worker only over https (or on
localhost). A warehouse LAN rarely has a DNS name with a public certificate,
so `floorscan tls init` makes a small CA whose certificate the handhelds
install once, and a server certificate signed by it for the box's host names
and LAN addresses. Re-running it keeps the CA (the phones already trust it)
and issues a new server certificate for the current names.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "server.crt", "server.key"
CA_DAYS = 10 * 365
# Apple devices refuse a server certificate valid for more than 825 days,
# even one issued by a CA the user installed.
SERVER_DAYS = 825


class TlsError(Exception):
    """The certificates cannot be made or are missing; the message says what to do."""


@dataclass
class Issued:
    directory: Path
    ca_created: bool
    dns_names: list[str]
    addresses: list[str]
    not_after: dt.datetime

    @property
    def ca_cert(self) -> Path:
        return self.directory / CA_CERT

    @property
    def server_cert(self) -> Path:
        return self.directory / SERVER_CERT

    @property
    def server_key(self) -> Path:
        return self.directory / SERVER_KEY


def default_dir() -> str:
    return os.environ.get("FLOORSCAN_TLS_DIR") or "tls"


def lan_addresses() -> list[str]:
    """This box's addresses as the LAN sees them, loopback last."""
    found: list[str] = []
    # A UDP "connect" sends nothing; it only asks the kernel which source
    # address it would use to reach the outside: the LAN address.
    for probe, family in (("192.0.2.1", socket.AF_INET), ("2001:db8::1", socket.AF_INET6)):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                found.append(s.getsockname()[0])
        except OSError:
            pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.append(info[4][0])
    except OSError:
        pass
    addresses = []
    for text in found + ["127.0.0.1", "::1"]:
        ip = ipaddress.ip_address(text.split("%")[0])
        if ip.is_link_local or str(ip) in addresses:
            continue
        addresses.append(str(ip))
    return sorted(addresses, key=lambda a: ipaddress.ip_address(a).is_loopback)


def default_hosts() -> list[str]:
    name = socket.gethostname().split(".")[0]
    fqdn = socket.getfqdn()
    names = [name, f"{name}.local", "localhost"]
    if fqdn and fqdn not in names and "." in fqdn and not fqdn.startswith("localhost"):
        names.insert(1, fqdn)
    return names + lan_addresses()


def split_hosts(hosts: list[str]) -> tuple[list[str], list[str]]:
    """Names and IP addresses; raises TlsError naming a value that is neither."""
    names, addresses = [], []
    for raw in hosts:
        for host in raw.replace(",", " ").split():
            try:
                ip = str(ipaddress.ip_address(host.strip("[]")))
                if ip not in addresses:
                    addresses.append(ip)
                continue
            except ValueError:
                pass
            host = host.lower().rstrip(".")
            labels = host.split(".")
            if not all(label and len(label) <= 63 and label.replace("-", "").isalnum()
                       and not label.startswith("-") and not label.endswith("-") for label in labels):
                raise TlsError(f"{host!r} is neither a host name nor an IP address")
            if host not in names:
                names.append(host)
    if not names and not addresses:
        raise TlsError("no host names or addresses to put in the certificate")
    return names, addresses


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _new_ca(directory: Path, now: dt.datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "floorscan"),
                      x509.NameAttribute(NameOID.COMMON_NAME,
                                         f"floorscan local CA ({socket.gethostname().split('.')[0]})")])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            # pathlen 0: this CA signs server certificates, never another CA.
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(directory / CA_KEY, _pem_key(key))
    _write_public(directory / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _load_ca(directory: Path):
    try:
        key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
    except (ValueError, TypeError) as exc:
        raise TlsError(f"the CA in {directory} cannot be read ({exc}); move it away and run "
                       f"`floorscan tls init --new-ca` (every handheld must then trust the new CA)") from None
    return key, cert


def init(directory: str | Path, hosts: list[str] | None = None, *, new_ca: bool = False,
         now: dt.datetime | None = None) -> Issued:
    """Create (or keep) the CA in ``directory`` and issue a server certificate for ``hosts``."""
    directory = Path(directory)
    names, addresses = split_hosts(hosts if hosts else default_hosts())
    now = now or dt.datetime.now(dt.timezone.utc)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    have_ca = (directory / CA_KEY).exists() and (directory / CA_CERT).exists()
    if have_ca and not new_ca:
        ca_key, ca_cert = _load_ca(directory)
    else:
        ca_key, ca_cert = _new_ca(directory, now)
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    not_after = min(now + dt.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (names or addresses)[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, key_cert_sign=False,
                                         crl_sign=False, content_commitment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_private(directory / SERVER_KEY, _pem_key(key))
    _write_public(directory / SERVER_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return Issued(directory, not have_ca or new_ca, names, addresses, not_after)


def server_files(directory: str | Path) -> tuple[str, str]:
    """(certfile, keyfile) for gunicorn; TlsError if `floorscan tls init` has not run there."""
    directory = Path(directory)
    cert, key = directory / SERVER_CERT, directory / SERVER_KEY
    missing = [p.name for p in (cert, key) if not p.is_file()]
    if missing:
        raise TlsError(f"no {' or '.join(missing)} in {directory}; create them with: "
                       f"floorscan tls init --dir {directory}")
    try:
        x509.load_pem_x509_certificate(cert.read_bytes())
        serialization.load_pem_private_key(key.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise TlsError(f"{directory} holds a certificate or key that cannot be read ({exc}); "
                       f"run floorscan tls init --dir {directory} again") from None
    return str(cert.resolve()), str(key.resolve())


def server_hosts(directory: str | Path) -> list[str]:
    """The names and addresses in the server certificate, in its order."""
    try:
        cert = x509.load_pem_x509_certificate((Path(directory) / SERVER_CERT).read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return []
    return [str(v) for v in san.get_values_for_type(x509.DNSName)] + \
           [str(v) for v in san.get_values_for_type(x509.IPAddress)]


def ca_pem(directory: str | Path) -> bytes | None:
    path = Path(directory) / CA_CERT
    return path.read_bytes() if path.is_file() else None


def fingerprint(pem: bytes) -> str:
    """SHA-256 fingerprint as iOS and Android show it, to compare on the phone."""
    digest = x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)
