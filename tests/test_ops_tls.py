"""`floorscan tls init`: a local CA and a server certificate for the box's names,
and the /ca page a handheld opens to trust it."""
from __future__ import annotations

import stat

import pytest
from cryptography import x509

from _ops_support import floorscan
from edge.app import create_app
from edge.ops import tls


def _cert(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_init_makes_a_ca_and_a_server_certificate_for_the_hosts(tmp_path):
    r = floorscan("tls", "init", "--dir", str(tmp_path / "tls"), "--hosts", "dockbox.local", "192.168.10.5,10.0.0.7")
    assert r.returncode == 0, r.stderr
    assert "created a new CA" in r.stdout and "dockbox.local, 192.168.10.5, 10.0.0.7" in r.stdout
    ca, server = _cert(tmp_path / "tls" / "ca.crt"), _cert(tmp_path / "tls" / "server.crt")
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server.verify_directly_issued_by(ca)
    assert tls.server_hosts(tmp_path / "tls") == ["dockbox.local", "192.168.10.5", "10.0.0.7"]
    assert (server.not_valid_after_utc - server.not_valid_before_utc).days <= tls.SERVER_DAYS
    for key in ("ca.key", "server.key"):
        assert stat.S_IMODE((tmp_path / "tls" / key).stat().st_mode) == 0o600


def test_init_again_keeps_the_ca_the_phones_trust(tmp_path):
    first = tls.init(tmp_path, ["dockbox.local"])
    before = tls.fingerprint(first.ca_cert.read_bytes())
    again = tls.init(tmp_path, ["dockbox.local", "192.168.10.9"])
    assert not again.ca_created and tls.fingerprint(again.ca_cert.read_bytes()) == before
    _cert(again.server_cert).verify_directly_issued_by(_cert(again.ca_cert))
    assert "192.168.10.9" in tls.server_hosts(tmp_path)
    renewed = tls.init(tmp_path, ["dockbox.local"], new_ca=True)
    assert renewed.ca_created and tls.fingerprint(renewed.ca_cert.read_bytes()) != before


def test_default_hosts_include_this_box_and_loopback():
    names, addresses = tls.split_hosts(tls.default_hosts())
    assert "localhost" in names and "127.0.0.1" in addresses


@pytest.mark.parametrize("bad", ["bad host!", "under_score.example", "a..b", "trail-.example"])
def test_a_host_that_is_neither_name_nor_address_is_refused(tmp_path, bad):
    r = floorscan("tls", "init", "--dir", str(tmp_path / "tls"), "--hosts", bad)
    assert r.returncode == 1
    assert "is neither a host name nor an IP address" in r.stderr
    assert not (tmp_path / "tls").exists()  # nothing written


def test_a_damaged_ca_is_reported_not_replaced(tmp_path):
    tls.init(tmp_path, ["localhost"])
    (tmp_path / "ca.key").write_text("garbage")
    before = (tmp_path / "server.crt").read_bytes()
    r = floorscan("tls", "init", "--dir", str(tmp_path), "--hosts", "localhost")
    assert r.returncode == 1 and "cannot be read" in r.stderr and "--new-ca" in r.stderr
    assert (tmp_path / "server.crt").read_bytes() == before


def test_show_prints_names_and_fingerprint(tmp_path):
    issued = tls.init(tmp_path, ["dockbox.local", "192.168.10.5"])
    r = floorscan("tls", "show", "--dir", str(tmp_path))
    assert r.returncode == 0
    assert "dockbox.local, 192.168.10.5" in r.stdout
    assert tls.fingerprint(issued.ca_cert.read_bytes()) in r.stdout
    r = floorscan("tls", "show", "--dir", str(tmp_path / "missing"))
    assert r.returncode == 1 and "floorscan tls init --dir" in r.stderr


@pytest.fixture
def ca_client(db_path, tmp_path):
    tls.init(tmp_path / "tls", ["dockbox.local", "192.168.10.5", "localhost", "127.0.0.1"])
    app = create_app({"DATABASE": db_path, "TESTING": True, "TLS_DIR": str(tmp_path / "tls")})
    yield app.test_client(), tmp_path / "tls"
    app.extensions["floorscan"].close()


def test_ca_page_has_install_steps_and_a_qr_code_of_the_app(ca_client):
    client, directory = ca_client
    r = client.get("/ca", headers={"Host": "dockbox.local:8443"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert "Android" in page and "iPhone" in page and "Certificate Trust Settings" in page
    assert tls.fingerprint((directory / "ca.crt").read_bytes()) in page
    assert "https://dockbox.local:8443/app/" in page and "<svg" in page
    assert 'href="/ca.crt"' in page


def test_ca_page_opened_on_the_box_itself_shows_a_lan_address(ca_client):
    client, _ = ca_client
    page = client.get("/ca", headers={"Host": "127.0.0.1:443"}).get_data(as_text=True)
    assert "https://dockbox.local/app/" in page and "https://192.168.10.5/app/" in page
    assert "https://127.0.0.1" not in page and "https://localhost" not in page


def test_ca_certificate_downloads_as_a_ca_certificate(ca_client):
    client, directory = ca_client
    r = client.get("/ca.crt")
    assert r.status_code == 200
    assert r.mimetype == "application/x-x509-ca-cert"
    assert "floorscan-ca.crt" in r.headers["Content-Disposition"]
    assert r.data == (directory / "ca.crt").read_bytes()


def test_without_a_ca_the_page_says_how_to_make_one(client, tmp_path, app):
    app.config["TLS_DIR"] = str(tmp_path / "nothing-here")
    page = client.get("/ca").get_data(as_text=True)
    assert "floorscan tls init" in page
    r = client.get("/ca.crt")
    assert r.status_code == 404 and "floorscan tls init" in r.get_data(as_text=True)
