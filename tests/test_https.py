"""HTTPS on the hub: its own CA, TLS beside plain HTTP, and phones sent back to HTTPS."""

from __future__ import annotations

import json
import re

import pytest
import requests
from cryptography import x509

from collector.serving import start_https
from support import ENUMERATOR, PIN


@pytest.fixture
def secure_hub(hub):
    server = start_https(hub.app, "127.0.0.1", 0, 4)
    certificates = hub.app.extensions["certificates"]
    yield hub, f"https://127.0.0.1:{server.bind_addr[1]}", str(certificates.ca_cert_path)
    server.stop()


def test_the_hub_serves_tls_with_its_own_authority(secure_hub):
    hub, https_url, ca = secure_hub
    response = requests.get(https_url + "/feedback", verify=ca, timeout=10)
    assert response.status_code == 200 and "Community feedback" in response.text
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(https_url + "/feedback", timeout=10)  # not trusted without the CA


def test_a_phone_that_used_https_is_sent_back_to_it(secure_hub):
    hub, https_url, ca = secure_hub
    phone = requests.Session()
    phone.get(https_url + "/feedback", verify=ca, timeout=10)
    assert phone.cookies.get("hub_https") == "1"
    response = phone.get(hub.url + "/feedback?lang=fr", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"] == https_url + "/feedback?lang=fr"
    # A phone that never used HTTPS stays on HTTP; /connect stays reachable for everyone.
    assert requests.get(hub.url + "/feedback", allow_redirects=False, timeout=10).status_code == 200
    assert phone.get(hub.url + "/connect", allow_redirects=False, timeout=10).status_code == 200


def test_connect_offers_the_certificate_with_its_fingerprint(secure_hub):
    hub, https_url, ca = secure_hub
    page = requests.get(hub.url + "/connect", timeout=10).text
    from collector.certificates import ca_fingerprint

    fingerprint = ca_fingerprint(hub.app.extensions["certificates"])
    assert fingerprint in page and "Certificate Trust Settings" in page
    assert "/connect/qr/ca/0.svg" in page
    assert f":{https_url.rsplit(':', 1)[1]}/" in page  # the secure addresses are listed
    download = requests.get(hub.url + "/connect/hub-ca.crt", timeout=10)
    assert download.headers["Content-Type"] == "application/x-x509-ca-cert"
    certificate = x509.load_der_x509_certificate(download.content)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert requests.get(hub.url + "/connect/qr/ca/0.svg", timeout=10).status_code == 200


def test_without_https_there_is_no_certificate_to_download(hub):
    assert requests.get(hub.url + "/connect/hub-ca.crt", timeout=10).status_code == 404
    assert "Certificate Trust Settings" not in requests.get(hub.url + "/connect", timeout=10).text


def test_service_worker_and_manifest_are_served(hub):
    worker = requests.get(hub.url + "/sw.js", timeout=10)
    assert worker.status_code == 200 and "javascript" in worker.headers["Content-Type"]
    assert worker.headers["Cache-Control"] == "no-cache"
    manifest = requests.get(hub.url + "/manifest.webmanifest?lang=ar", timeout=10)
    data = json.loads(manifest.text)
    assert data["start_url"] == "/" and data["dir"] == "rtl" and data["lang"] == "ar"
    page = requests.get(hub.url + "/feedback", timeout=10)
    assert 'rel="manifest"' in page.text and "/static/js/offline.js" in page.text


def test_pages_and_scripts_are_compressed(hub):
    response = requests.get(hub.url + "/feedback", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert response.headers["Content-Encoding"] == "gzip"
    script = requests.get(
        hub.url + "/static/js/expressions.js", headers={"Accept-Encoding": "br, gzip"}, timeout=10
    )
    assert script.headers.get("Content-Encoding") in ("br", "gzip")


def test_signing_in_over_https_works_as_a_browser_does_it(secure_hub):
    """Browsers send a Referer only as the hub's policy allows; over HTTPS the CSRF check
    needs it, so the policy must let a same-origin Referer through."""
    hub, https_url, ca = secure_hub
    phone = requests.Session()
    page = phone.get(https_url + "/signin", verify=ca, timeout=10)
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = phone.post(
        https_url + "/signin",
        verify=ca,
        timeout=10,
        data={"name": ENUMERATOR, "pin": PIN, "csrf_token": token},
        headers={"Referer": https_url + "/signin"},
    )
    assert response.status_code == 200 and "Sign out" in response.text


def test_records_waiting_on_the_http_side_keep_the_phone_there(secure_hub):
    """That side's outbox lives in that origin's storage: it must deliver before the switch."""
    hub, https_url, ca = secure_hub
    phone = requests.Session()
    phone.get(https_url + "/feedback", verify=ca, timeout=10)
    phone.cookies.set("hub_outbox", "1")
    assert phone.get(hub.url + "/feedback", allow_redirects=False, timeout=10).status_code == 200
    phone.cookies.set("hub_outbox", "")
    assert phone.get(hub.url + "/feedback", allow_redirects=False, timeout=10).status_code == 302


def test_the_hub_speaks_tls_1_2_or_newer_only(secure_hub):
    import socket
    import ssl

    hub, https_url, ca = secure_hub
    port = int(https_url.rsplit(":", 1)[1])

    def handshake(newest):
        context = ssl.create_default_context(cafile=ca)
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = newest
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer old versions
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                return tls.version()

    assert handshake(ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(ssl.TLSVersion.MAXIMUM_SUPPORTED) == "TLSv1.3"
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        with pytest.raises(ssl.SSLError):
            handshake(old)
