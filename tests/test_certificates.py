"""The hub's CA and HTTPS certificate: what phones need to trust it, and a real handshake."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import socket
import ssl
import subprocess
import threading

import pytest
import requests
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from collector import certificates
from collector.certificates import HubCertificates, ca_fingerprint, ensure_certificates
from support import need_tool

ADDRESSES = ["192.168.137.1", "10.0.0.7"]


def load(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def files(certs: HubCertificates) -> dict:
    paths = [
        certs.ca_cert_path,
        certs.cert_path,
        certs.key_path,
        certs.ca_cert_path.with_name(certificates.CA_KEY_FILE),
    ]
    return {path.name: path.read_bytes() for path in paths}


@pytest.fixture
def certs(tmp_path) -> HubCertificates:
    return ensure_certificates(tmp_path, ADDRESSES)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_files_in_tls_folder_with_private_keys_owner_only(tmp_path, certs):
    folder = tmp_path / "tls"
    assert {certs.ca_cert_path.parent, certs.cert_path.parent, certs.key_path.parent} == {folder}
    assert folder.stat().st_mode & 0o777 == 0o700
    assert certs.key_path.stat().st_mode & 0o777 == 0o600
    assert (folder / certificates.CA_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in folder.iterdir()) == sorted(files(certs))  # no temp files left


def test_ca_is_a_ca_and_server_cert_chains_to_it(certs):
    ca, server = load(certs.ca_cert_path), load(certs.cert_path)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert re.fullmatch(
        r"Community feedback hub CA [0-9A-F]{8}", ca.subject.rfc4514_string().removeprefix("CN=")
    )
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    server.verify_directly_issued_by(ca)  # raises if the signature does not verify
    aki = server.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert server.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    assert server.signature_hash_algorithm.name == "sha256"


def test_server_cert_names_and_validity(certs):
    server = load(certs.cert_path)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = set(san.get_values_for_type(x509.IPAddress))
    assert ips == {ipaddress.ip_address(a) for a in [*ADDRESSES, "127.0.0.1"]}
    assert set(san.get_values_for_type(x509.DNSName)) == {"collector.local", "localhost"}
    now = datetime.datetime.now(datetime.UTC)
    assert server.not_valid_after_utc - server.not_valid_before_utc <= datetime.timedelta(days=397)
    # Backdated for phones whose clock is behind, and not expiring soon.
    assert server.not_valid_before_utc < now - datetime.timedelta(hours=1)
    assert server.not_valid_after_utc > now + datetime.timedelta(days=300)


def test_ca_der_and_fingerprint(certs):
    der = certs.ca_der()
    ca = x509.load_der_x509_certificate(der)
    assert ca == load(certs.ca_cert_path)
    assert certs.ca_pem().startswith(b"-----BEGIN CERTIFICATE-----")
    fingerprint = ca_fingerprint(certs)
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", fingerprint)
    assert fingerprint == ca.fingerprint(hashes.SHA256()).hex(":").upper()


def test_rerun_with_same_addresses_reuses_files(tmp_path, certs):
    before = files(certs)
    again = ensure_certificates(tmp_path, list(reversed(ADDRESSES)))
    assert again == certs and files(again) == before
    # A subset is covered too: no new certificate when a network goes away.
    assert files(ensure_certificates(tmp_path, ADDRESSES[:1])) == before


def test_new_address_reissues_server_cert_and_keeps_ca(tmp_path, certs):
    before = files(certs)
    ensure_certificates(tmp_path, ["172.20.10.2"])
    after = files(certs)
    assert after["ca.pem"] == before["ca.pem"] and after["ca-key.pem"] == before["ca-key.pem"]
    assert after["server.pem"] != before["server.pem"]
    assert after["server-key.pem"] != before["server-key.pem"]
    server = load(certs.cert_path)
    server.verify_directly_issued_by(load(certs.ca_cert_path))
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("172.20.10.2") in san.get_values_for_type(x509.IPAddress)


def test_new_hostname_and_ipv6_reissue(tmp_path, certs):
    ensure_certificates(tmp_path, [*ADDRESSES, "fe80::1%wlan0"], hostname="hub.local")
    san = (
        load(certs.cert_path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    )
    assert ipaddress.ip_address("fe80::1") in san.get_values_for_type(x509.IPAddress)
    assert "hub.local" in san.get_values_for_type(x509.DNSName)


def test_reissued_within_30_days_of_expiry(tmp_path, certs, monkeypatch):
    before = files(certs)
    expiry = load(certs.cert_path).not_valid_after_utc
    monkeypatch.setattr(certificates, "_utcnow", lambda: expiry - datetime.timedelta(days=29))
    ensure_certificates(tmp_path, ADDRESSES)
    after = files(certs)
    assert after["ca.pem"] == before["ca.pem"] and after["server.pem"] != before["server.pem"]
    assert load(certs.cert_path).not_valid_after_utc > expiry


def test_mismatched_server_key_is_replaced(tmp_path, certs):
    certs.key_path.write_bytes(
        certificates._key_pem(certificates.ec.generate_private_key(certificates.ec.SECP256R1()))
    )
    before = certs.cert_path.read_bytes()
    ensure_certificates(tmp_path, ADDRESSES)
    assert certs.cert_path.read_bytes() != before
    assert certificates._server_cert_usable(
        certs, load(certs.ca_cert_path), *certificates._wanted_names(ADDRESSES, "collector.local")
    )


def test_unreadable_ca_key_is_an_error_not_a_new_ca(tmp_path, certs):
    (tmp_path / "tls" / certificates.CA_KEY_FILE).write_bytes(b"garbage")
    with pytest.raises(ValueError, match="install it on the phones again"):
        ensure_certificates(tmp_path, ADDRESSES)


@pytest.fixture
def https_server(certs):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello over TLS"]

    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=2)
    server.ssl_adapter = BuiltinSSLAdapter(str(certs.cert_path), str(certs.key_path))
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield server.bind_addr[1]
    server.stop()
    thread.join(timeout=10)


def test_tls_handshake_trusts_only_with_our_ca(certs, https_server):
    url = f"https://127.0.0.1:{https_server}/"
    response = requests.get(url, verify=str(certs.ca_cert_path), timeout=10)
    assert response.status_code == 200 and response.text == "hello over TLS"
    assert (
        requests.get(
            f"https://localhost:{https_server}/", verify=str(certs.ca_cert_path), timeout=10
        ).status_code
        == 200
    )
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=10)


def test_chain_passes_strict_x509_checks(certs, https_server):
    # Python 3.13 turns VERIFY_X509_STRICT on by default; phones are as picky.
    context = ssl.create_default_context(cafile=str(certs.ca_cert_path))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    with socket.create_connection(("127.0.0.1", https_server), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            assert tls.getpeercert()["subject"] == ((("commonName", "collector.local"),),)


# -- name constraints, lifetimes, fingerprint (issue 11, point 7) ---------------------------


def _foreign_leaf(certs: HubCertificates, name: str) -> x509.Certificate:
    """A leaf for `name` (a DNS name or an IP) signed with the hub's CA key, as an attacker
    holding that key would make it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ca = load(certs.ca_cert_path)
    ca_key = serialization.load_pem_private_key(
        (certs.ca_cert_path.parent / certificates.CA_KEY_FILE).read_bytes(), password=None
    )
    key = ec.generate_private_key(ec.SECP256R1())
    try:
        alt, common_name = x509.IPAddress(ipaddress.ip_address(name)), "collector.local"
    except ValueError:
        alt, common_name = x509.DNSName(name), name
    now = datetime.datetime.now(datetime.UTC)
    # OpenSSL checks a host-like common name against the DNS constraints too: an IP
    # certificate names the hub in its CN, as the hub's own certificate does.
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _verified_by_cryptography(certs: HubCertificates, leaf: x509.Certificate, name: str) -> bool:
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    try:
        subject = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        subject = x509.DNSName(name)
    verifier = (
        PolicyBuilder().store(Store([load(certs.ca_cert_path)])).build_server_verifier(subject)
    )
    try:
        verifier.verify(leaf, [])
        return True
    except VerificationError as error:
        # Refused for its name, not for some other flaw of the test's certificate.
        assert (
            "name constraint" in str(error).lower()
            or "no permitted" in str(error).lower()
            or "mismatch" in str(error).lower()
        ), str(error)
        return False


def _verified_by_openssl(certs: HubCertificates, leaf: x509.Certificate, tmp_path) -> bool:
    from cryptography.hazmat.primitives import serialization

    openssl = need_tool("openssl")
    path = tmp_path / f"leaf-{secrets_token()}.pem"
    path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        [openssl, "verify", "-CAfile", str(certs.ca_cert_path), str(path)],
        capture_output=True,
        text=True,
    )
    return result.returncode == 0


def secrets_token() -> str:
    import secrets

    return secrets.token_hex(4)


def test_the_ca_is_name_constrained_to_the_hubs_own_names(certs):
    ca = load(certs.ca_cert_path)
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical and not constraints.value.excluded_subtrees
    permitted = constraints.value.permitted_subtrees
    dns = {item.value for item in permitted if isinstance(item, x509.DNSName)}
    assert {"localhost", "local"} <= dns
    assert dns - {"localhost", "local"} <= {socket.gethostname().lower()}
    networks = {str(item.value) for item in permitted if isinstance(item, x509.IPAddress)}
    assert networks == {
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    }


def test_lifetimes_two_years_for_the_ca_and_397_days_at_most_for_the_server(certs):
    ca, server = load(certs.ca_cert_path), load(certs.cert_path)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == datetime.timedelta(days=730)
    assert server.not_valid_after_utc - server.not_valid_before_utc <= datetime.timedelta(days=397)


@pytest.mark.parametrize(
    "name",
    [
        "example.com",
        "8.8.8.8",
        "bank.example.org",
        "100.64.0.1",
        "2001:4860:4860::8888",
        "local.example.com",
    ],
)
def test_a_leaf_for_anything_else_is_rejected_by_name_constraints(certs, tmp_path, name):
    leaf = _foreign_leaf(certs, name)
    assert not _verified_by_cryptography(certs, leaf, name)
    assert not _verified_by_openssl(certs, leaf, tmp_path)


@pytest.mark.parametrize("name", ["collector.local", "192.168.43.1", "10.1.2.3", "localhost"])
def test_a_leaf_for_the_hubs_own_names_verifies(certs, tmp_path, name):
    leaf = _foreign_leaf(certs, name)
    assert _verified_by_cryptography(certs, leaf, name)
    assert _verified_by_openssl(certs, leaf, tmp_path)


def test_the_hubs_own_server_certificate_verifies_with_openssl_and_python(certs, tmp_path):
    openssl = need_tool("openssl")
    result = subprocess.run(
        [openssl, "verify", "-CAfile", str(certs.ca_cert_path), str(certs.cert_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    for name in ADDRESSES + ["collector.local", "localhost", "127.0.0.1"]:
        assert _verified_by_cryptography(certs, load(certs.cert_path), name), name


def test_python_ssl_refuses_a_constrained_out_website(certs, tmp_path):
    """A TLS server presenting an example.com certificate from the hub's CA: Python's ssl
    (OpenSSL) refuses the handshake, as a phone's browser would."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _foreign_leaf(certs, "example.com")
    # Re-sign a leaf for the key we hold, with the same name.
    ca = load(certs.ca_cert_path)
    ca_key = serialization.load_pem_private_key(
        (certs.ca_cert_path.parent / certificates.CA_KEY_FILE).read_bytes(), password=None
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(leaf.not_valid_before_utc)
        .not_valid_after(leaf.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("example.com")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "evil.pem", tmp_path / "evil-key.pem"
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = wsgi.Server(
        ("127.0.0.1", 0), lambda e, s: [s("200 OK", []) or b"x"][:0] or [b"x"], numthreads=1
    )
    server.ssl_adapter = BuiltinSSLAdapter(str(cert_path), str(key_path))
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        context = ssl.create_default_context(cafile=str(certs.ca_cert_path))
        context.check_hostname = False  # only the CA's constraints are under test
        with socket.create_connection(("127.0.0.1", server.bind_addr[1]), timeout=10) as sock:
            with pytest.raises(ssl.SSLCertVerificationError, match="permitted|constraint"):
                context.wrap_socket(sock, server_hostname="example.com")
    finally:
        server.stop()
        thread.join(timeout=10)


def test_an_old_unconstrained_ca_is_replaced_key_and_all(tmp_path, certs, monkeypatch):
    from cryptography.hazmat.primitives import serialization

    key_path = certs.ca_cert_path.parent / certificates.CA_KEY_FILE
    ca_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    # What earlier versions made: ten years, no name constraints.
    monkeypatch.setattr(certificates, "CA_VALIDITY", datetime.timedelta(days=3650))
    monkeypatch.setattr(certificates, "permitted_domains", lambda: [])
    old = (
        x509.CertificateBuilder()
        .subject_name(load(certs.ca_cert_path).subject)
        .issuer_name(load(certs.ca_cert_path).subject)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2024, 1, 1))
        .not_valid_after(datetime.datetime(2034, 1, 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    certs.ca_cert_path.write_bytes(old.public_bytes(serialization.Encoding.PEM))
    old_key = key_path.read_bytes()
    monkeypatch.undo()
    renewed = ensure_certificates(tmp_path, ADDRESSES)
    assert key_path.read_bytes() != old_key
    assert certificates.is_current_ca(load(renewed.ca_cert_path))
    assert certificates._server_cert_usable(
        renewed,
        load(renewed.ca_cert_path),
        *certificates._wanted_names(ADDRESSES, "collector.local"),
    )
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"


def test_public_addresses_are_left_out_of_the_server_certificate(tmp_path):
    certs = ensure_certificates(tmp_path, ["192.168.1.5", "8.8.4.4", "example.org"])
    san = load(certs.cert_path).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    ips = {str(ip) for ip in san.value.get_values_for_type(x509.IPAddress)}
    assert "192.168.1.5" in ips and "8.8.4.4" not in ips
    assert "example.org" not in san.value.get_values_for_type(x509.DNSName)
    assert _verified_by_cryptography(certs, load(certs.cert_path), "192.168.1.5")
