"""The hub's CA and HTTPS certificate: what phones need to trust it, and a real handshake."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import socket
import ssl
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

ADDRESSES = ["192.168.137.1", "10.0.0.7"]


def load(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def files(certs: HubCertificates) -> dict:
    paths = [certs.ca_cert_path, certs.cert_path, certs.key_path,
             certs.ca_cert_path.with_name(certificates.CA_KEY_FILE)]
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
    assert re.fullmatch(r"Community feedback hub CA [0-9A-F]{8}",
                        ca.subject.rfc4514_string().removeprefix("CN="))
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
    now = datetime.datetime.now(datetime.timezone.utc)
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
    san = load(certs.cert_path).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
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
    certs.key_path.write_bytes(certificates._key_pem(
        certificates.ec.generate_private_key(certificates.ec.SECP256R1())))
    before = certs.cert_path.read_bytes()
    ensure_certificates(tmp_path, ADDRESSES)
    assert certs.cert_path.read_bytes() != before
    assert certificates._server_cert_usable(
        certs, load(certs.ca_cert_path),
        *certificates._wanted_names(ADDRESSES, "collector.local"))


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
    assert requests.get(f"https://localhost:{https_server}/",
                        verify=str(certs.ca_cert_path), timeout=10).status_code == 200
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
