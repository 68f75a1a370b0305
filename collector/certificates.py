"""The hub's own certificate authority and HTTPS certificate.

Phones reach the hub at LAN addresses (http://192.168.137.1:5000); browsers
allow service workers (offline use) only on secure contexts, and no public CA
issues certificates for private IP addresses. So the hub makes a small CA,
which people install on their phones once, and signs its own server
certificate for whatever addresses it has today.

Key type: EC P-256 with ECDSA-SHA256, for the CA and the server. Every
browser on Android 7+ (BoringSSL) and iOS accepts it, it meets Apple's TLS
rules (no RSA < 2048, SHA-2 signatures), a key is made in a millisecond on a
slow laptop, and handshakes are smaller and faster for phones on a weak
hotspot than with RSA.

Files in ``<data dir>/tls`` (folder owner-only, keys 0o600 on POSIX):
``ca.pem``, ``ca-key.pem`` (never leaves the data dir), ``server.pem``,
``server-key.pem``.

A phone that installs the CA trusts it, so the CA is made unable to vouch for anything
but the hub: critical X.509 name constraints permit only local names (localhost, .local,
the laptop's hostname) and private, loopback and link-local addresses, which browsers and
OpenSSL enforce. It lives two years; a CA made before these limits existed is replaced,
key and all, on the next start (phones install the new one). The hub issues a new server
certificate by itself whenever its address changes, with nobody at the keyboard, so the
keys are not sealed with a passphrase of their own: they stay owner-only in the data dir,
and on a protected data folder (collector.protection) both are PKCS#8 PEM encrypted with
a password derived from the folder's data key, known only to the running hub.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import random
import re
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_DIR = "tls"
CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_CERT_FILE = "server.pem"
SERVER_KEY_FILE = "server-key.pem"

CA_NAME = "Community feedback hub CA"
CA_VALIDITY = datetime.timedelta(days=730)
# Apple and Chrome refuse longer-lived server certificates from public CAs
# (398 days); stay under it so no platform ever has a reason to object.
SERVER_VALIDITY = datetime.timedelta(days=397)
# Phones off the network often have a clock that is a little behind.
CLOCK_SKEW = datetime.timedelta(days=2)
# Re-issue ahead of expiry: the hub may be left unstarted for weeks.
RENEW_BEFORE = datetime.timedelta(days=30)
LOOPBACK_NAMES = ("localhost", "127.0.0.1")
# What the CA may vouch for: a hub's LAN address changes with each hotspot, so every
# private, loopback and link-local range, and local names; never a public name or address.
PERMITTED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)
PERMITTED_DOMAINS = ("localhost", "local")  # "local": the .local names of mDNS
_DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class HubCertificates:
    """Where the PEM files are, and the CA in the forms phones install."""

    ca_cert_path: Path
    cert_path: Path
    key_path: Path
    # The PEM password of the private keys on a protected data folder, else None.
    key_password: bytes | None = None

    def ca_pem(self) -> bytes:
        return self.ca_cert_path.read_bytes()

    def ca_der(self) -> bytes:
        """DER, served as application/x-x509-ca-cert: what Android and iOS install."""
        return x509.load_pem_x509_certificate(self.ca_pem()).public_bytes(
            serialization.Encoding.DER
        )


def permitted_domains() -> list[str]:
    """The DNS names the CA may vouch for: localhost, .local, and this laptop's hostname."""
    domains = list(PERMITTED_DOMAINS)
    hostname = socket.gethostname().strip().lower().rstrip(".")
    if (
        hostname
        and all(_DNS_LABEL.fullmatch(part) for part in hostname.split("."))
        and not _is_ip(hostname)
        and not _name_permitted(hostname, domains)
    ):
        domains.append(hostname)
    return domains


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _name_permitted(name: str, domains) -> bool:
    """RFC 5280 dNSName constraint: the domain itself or any name below it."""
    name = name.lower()
    return any(name == domain or name.endswith("." + domain) for domain in domains)


def _constrained_names(ca_cert, ips, names):
    """Of the wanted names and addresses, those the CA's constraints allow: one public
    address in a certificate would make phones refuse all of it."""
    try:
        permitted = (
            ca_cert.extensions.get_extension_for_class(
                x509.NameConstraints
            ).value.permitted_subtrees
            or []
        )
    except x509.ExtensionNotFound:
        return ips, names
    domains = [item.value for item in permitted if isinstance(item, x509.DNSName)]
    networks = [item.value for item in permitted if isinstance(item, x509.IPAddress)]
    return (
        {ip for ip in ips if any(ip.version == n.version and ip in n for n in networks)},
        {name for name in names if _name_permitted(name, domains)},
    )


def ca_fingerprint(certs: HubCertificates) -> str:
    """SHA-256 of the CA, "AB:CD:...", for people to compare with what the phone shows."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(certs.ca_der()).digest())


def ensure_certificates(
    data_dir: Path, addresses: list[str], hostname: str = "collector.local"
) -> HubCertificates:
    """The CA (made once, then kept) and a server certificate covering `addresses`.

    The server certificate is reused as is while it covers every address and the
    hostname and is not within 30 days of expiry; otherwise a new one is signed
    (the laptop joined another network). Phones trust the CA, so this is silent.
    """
    from .protection import tls_password

    folder = Path(data_dir) / TLS_DIR
    password = tls_password(data_dir)  # protection.Locked before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    _set_mode(folder, 0o700)
    certs = HubCertificates(
        folder / CA_CERT_FILE, folder / SERVER_CERT_FILE, folder / SERVER_KEY_FILE, password
    )
    _retire_unconstrained_ca(certs, folder / CA_KEY_FILE)
    ca_key = _load_or_create_ca_key(folder / CA_KEY_FILE, password)
    ca_cert = _load_or_create_ca_cert(certs.ca_cert_path, ca_key)
    ips, names = _constrained_names(ca_cert, *_wanted_names(addresses, hostname))
    # Another process issuing at the same moment could interleave its key and
    # certificate with ours: check the pair we end up with, retry if mixed.
    for attempt in range(6):
        if _server_cert_usable(certs, ca_cert, ips, names):
            return certs
        if attempt:
            time.sleep(random.uniform(0, 0.05 * attempt))  # Let the other one finish.
        _issue_server_cert(certs, ca_key, ca_cert, ips, names, hostname)
    if _server_cert_usable(certs, ca_cert, ips, names):
        return certs
    raise RuntimeError(
        f"could not write a consistent server certificate in {folder}: "
        "is another hub with other addresses using this data dir?"
    )


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _wanted_names(addresses, hostname):
    """IP and DNS names the server certificate must cover."""
    ips, names = set(), {hostname.lower(), "localhost"}
    for address in [*addresses, "127.0.0.1"]:
        address = str(address).strip().strip("[]")
        if not address:
            continue
        try:
            # A scope ("fe80::1%wlan0") is local to this laptop, not part of the name.
            ips.add(ipaddress.ip_address(address.split("%", 1)[0]))
        except ValueError:
            names.add(address.lower())
    return ips, names


def is_current_ca(cert: x509.Certificate) -> bool:
    """Made with today's limits: critical name constraints and a life of at most two years."""
    try:
        constraints = cert.extensions.get_extension_for_class(x509.NameConstraints)
    except x509.ExtensionNotFound:
        return False
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    return constraints.critical and lifetime <= CA_VALIDITY


def _retire_unconstrained_ca(certs: HubCertificates, key_path: Path) -> None:
    """A CA from before name constraints could vouch for any website: delete it, key and
    all, so that the copy already on phones can never sign anything again."""
    try:
        cert = x509.load_pem_x509_certificate(certs.ca_cert_path.read_bytes())
    except (FileNotFoundError, ValueError):
        return
    if is_current_ca(cert):
        return
    for path in (key_path, certs.ca_cert_path, certs.cert_path, certs.key_path):
        path.unlink(missing_ok=True)


def _load_or_create_ca_key(path: Path, password: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    """The CA key: made once; a second process starting at once gets the first one's."""
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        _write_file(path, _key_pem(key, password), 0o600, keep_existing=True)
    data = path.read_bytes()
    try:
        key = _load_key(data, password)
    except ValueError as error:
        # Never replace it silently: every phone would have to install a new CA.
        raise ValueError(
            f"{path} is not a readable private key; delete the {path.parent} "
            "folder to make a new CA, then install it on the phones again"
        ) from error
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an EC private key")
    return key


def _load_or_create_ca_cert(path: Path, ca_key) -> x509.Certificate:
    """The CA certificate for `ca_key`, re-made only if missing, foreign or nearly expired."""
    for _ in range(3):
        missing = False
        try:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
        except FileNotFoundError:
            cert, missing = None, True
        except ValueError:
            cert = None
        if (
            cert is not None
            and _same_key(cert.public_key(), ca_key.public_key())
            and is_current_ca(cert)
            and cert.not_valid_after_utc - _utcnow() > RENEW_BEFORE
        ):
            return cert
        # When it is missing, the first process to write it wins, so that everyone
        # shows people the same fingerprint; then read back whichever won.
        _write_file(
            path,
            _make_ca_cert(ca_key).public_bytes(serialization.Encoding.PEM),
            0o644,
            keep_existing=missing,
        )
    raise RuntimeError(f"could not write the CA certificate {path}")


def _make_ca_cert(ca_key) -> x509.Certificate:
    ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    # The "random" id comes from the (random) key: two processes racing to make the
    # certificate give the same name, so a server certificate chains to either.
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{CA_NAME} {ski.digest[:4].hex().upper()}"),
        ]
    )
    now = _utcnow()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now - CLOCK_SKEW + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.NameConstraints(
                permitted_subtrees=[
                    *(x509.DNSName(name) for name in permitted_domains()),
                    *(x509.IPAddress(net) for net in PERMITTED_NETWORKS),
                ],
                excluded_subtrees=None,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _server_cert_usable(certs: HubCertificates, ca_cert, ips, names) -> bool:
    """Signed by our CA, matches its key, covers every name, and not expiring soon."""
    try:
        cert = x509.load_pem_x509_certificate(certs.cert_path.read_bytes())
        key = _load_key(certs.key_path.read_bytes(), certs.key_password)
    except (FileNotFoundError, ValueError, TypeError):
        return False
    if cert.issuer != ca_cert.subject or not _same_key(cert.public_key(), key.public_key()):
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return False
    now = _utcnow()
    if cert.not_valid_before_utc > now or cert.not_valid_after_utc - now <= RENEW_BEFORE:
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    covered_names = {name.lower() for name in san.get_values_for_type(x509.DNSName)}
    return ips <= set(san.get_values_for_type(x509.IPAddress)) and names <= covered_names


def _issue_server_cert(certs: HubCertificates, ca_key, ca_cert, ips, names, hostname) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _utcnow()
    not_before = now - CLOCK_SKEW
    # Never outlive the CA: a phone would reject the chain after it expires anyway.
    not_after = min(not_before + SERVER_VALIDITY, ca_cert.not_valid_after_utc)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    # Hostname first: some tools show only the first name. A hostname outside the CA's
    # name constraints was left out of `names`: the certificate goes without it.
    hostname = hostname.lower() if hostname.lower() in names else sorted(names)[0]
    dns = [hostname, *sorted(names - {hostname})]
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns]
    alt_names += [x509.IPAddress(ip) for ip in sorted(ips, key=lambda ip: (ip.version, ip))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # EC keys sign; keyEncipherment applies only to RSA key exchange.
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    # Key first: a reader that sees the new certificate finds its key already there.
    _write_file(certs.key_path, _key_pem(key, certs.key_password), 0o600)
    _write_file(certs.cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _key_pem(key, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with `password` when the data folder is protected."""
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _load_key(data: bytes, password: bytes | None):
    """A PEM private key; one written before the folder was protected is read without the
    password (protection.seal_folder encrypts it)."""
    if password and b"ENCRYPTED" not in data:
        password = None
    return serialization.load_pem_private_key(data, password=password)


def _same_key(a, b) -> bool:
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_bytes(*spki) == b.public_bytes(*spki)


def _write_file(path: Path, data: bytes, mode: int, keep_existing: bool = False) -> None:
    """Write whole or not at all: a temp file (created with `mode`), then a rename.

    With `keep_existing`, an existing file wins (hard link, which fails if the
    name is taken), so two processes never end up with different CA keys.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _set_mode(temp, mode)
        if keep_existing:
            try:
                os.link(temp, path)
                return
            except FileExistsError:
                return
            except OSError:
                pass  # No hard links (FAT32 stick): last writer wins, rare enough.
        os.replace(temp, path)
    finally:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass


def _set_mode(path: Path, mode: int) -> None:
    # Windows has no POSIX modes; its per-user profile folders are private already.
    if os.name == "posix":
        os.chmod(path, mode)
