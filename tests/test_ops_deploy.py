"""deploy/: the systemd units, container files and gunicorn config match the real
`floorscan` command, and the edge starts from its unit's ExecStart line with TLS
and JSON logs."""
from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import time

from pathlib import Path

import pytest
import requests
import websocket
import yaml

from _ops_support import DEPLOY, FLOORSCAN, Process, exec_start, floorscan, unit, unit_environment
from conftest import ROOT, free_port
from edge.cli import build_parser

UNITS = ["floorscan-edge.service", "floorscan-sync.service", "floorscan-camera@.service",
         "floorscan-central.service", "floorscan-backup.service"]


def _expand(argv: list[str]) -> list[str]:
    """Fill systemd's %i and ${VAR} with sample values, as systemd would."""
    return [re.sub(r"\$\{[A-Z_]+\}", "sample", a.replace("%i", "DOCK-1")) for a in argv]


def _subcommands() -> set[str]:
    parser = build_parser()
    return set(parser._subparsers._group_actions[0].choices)


def _parses(argv: list[str]) -> None:
    """argparse accepts the command line (SystemExit 2 with a message if it does not)."""
    args = build_parser().parse_args(argv)
    assert callable(args.func)


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_runs_floorscan_as_its_own_user(name):
    keys = unit(name)
    argv = exec_start(name)
    assert argv[0] == "/opt/floorscan/.venv/bin/floorscan"
    assert keys["User"] == ["floorscan"]
    assert keys.get("NoNewPrivileges") == ["yes"] and keys.get("ProtectSystem") == ["strict"]
    if argv[1] in _subcommands():
        _parses(_expand(argv[1:]))


def test_the_backup_timer_starts_the_backup_service():
    timer = (DEPLOY / "systemd" / "floorscan-backup.timer").read_text()
    assert "OnCalendar=hourly" in timer and "Persistent=true" in timer
    assert exec_start("floorscan-backup.service")[1] == "backup"


def test_compose_runs_edge_central_and_postgres():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"edge", "central", "postgres", "sync"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["central"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "postgresql://" in " ".join(services["central"]["command"])
    names = _subcommands()
    for name in ("edge", "central", "sync"):
        argv = _expand([re.sub(r"\$\{[^}]+\}", "x", a) for a in services[name]["command"]])
        assert services[name]["image"] == "floorscan:latest"
        if argv[0] in names:
            _parses(argv)


def test_dockerfile_command_is_a_floorscan_command():
    text = (DEPLOY / "Dockerfile").read_text()
    [cmd] = re.findall(r"^CMD (\[.*\])$", text, re.M)
    _parses(json.loads(cmd))
    assert "libzbar0" in text and "USER floorscan" in text


def test_gunicorn_config_is_valid_and_has_one_worker(tmp_path):
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"),
                        "--print-config", "edge.wsgi:app"], cwd=ROOT, capture_output=True, text=True,
                       env={"FLOORSCAN_DATABASE": str(tmp_path / "e.db"), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert r.returncode == 0, r.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", r.stdout, re.M))
    assert config["workers"] == "1"
    assert config["worker_class"] == "edge.serve.EdgeThreadWorker"
    assert config["logger_class"] == "edge.ops.logs.GunicornLogger"
    assert config["timeout"] == "0"


@pytest.fixture(scope="module")
def unit_server(tmp_path_factory):
    """floorscan-edge.service's ExecStart, with its paths moved into a temporary directory
    (one server for the tests that only talk to it)."""
    tmp_path = tmp_path_factory.mktemp("unit")
    data = tmp_path / "var-lib-floorscan"
    assert floorscan("init", "--db", str(data / "edge.db")).returncode == 0
    r = floorscan("tls", "init", "--dir", str(data / "tls"), "--hosts", "localhost", "127.0.0.1")
    assert r.returncode == 0, r.stderr
    argv = [a.replace("/var/lib/floorscan", str(data)) for a in exec_start("floorscan-edge.service")]
    argv[0] = FLOORSCAN
    port = free_port()
    argv[argv.index("--port") + 1] = str(port)
    argv[argv.index("--host") + 1] = "127.0.0.1"
    env = unit_environment("floorscan-edge.service")
    assert env["FLOORSCAN_LOG_FORMAT"] == "json"
    server = Process(argv, tmp_path / "edge.log",
                     env=dict(env, FLOORSCAN_WORKERS="2", FLOORSCAN_ACCESS_LOG=str(tmp_path / "access.log")))
    ca = str(data / "tls" / "ca.crt")
    server.wait_ready(f"https://localhost:{port}/healthz", verify=ca)
    yield server, port, ca
    assert server.stop() == 0


def test_the_edge_starts_from_its_unit_with_tls_and_json_logs(unit_server):
    server, port, ca = unit_server
    r = requests.get(f"https://localhost:{port}/healthz", verify=ca, headers={"X-Request-Id": "drill-42"}, timeout=30)
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert r.json()["checks"]["writer"]["kind"] == "process"  # two workers + the writer process
    assert r.headers["X-Request-Id"] == "drill-42"
    # The app is served too, and a browser without the CA is refused.
    assert requests.get(f"https://127.0.0.1:{port}/api/v1/health", verify=ca, timeout=30).ok
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://localhost:{port}/healthz", timeout=30)
    # Live events over wss (what the PWA opens on an https page).
    ws = websocket.create_connection(f"wss://localhost:{port}/socket.io/?EIO=4&transport=websocket",
                                     sslopt={"ca_certs": ca}, timeout=30)
    try:
        assert ws.recv().startswith('0{"sid":')  # Engine.IO's open packet
    finally:
        ws.close()
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.strip()]
    assert any("Listening at: https://127.0.0.1" in line["message"] for line in lines)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    mine = _access_line(server.log_path.parent / "access.log", "drill-42")
    assert mine["path"] == "/healthz" and mine["status"] == 200 and mine["method"] == "GET"
    assert mine["logger"] == "gunicorn.access" and mine["duration_ms"] >= 0


def _access_line(path, request_id: str, wait: float = 30) -> dict:
    """The access log line of one request (gunicorn writes it just after the answer)."""
    deadline = time.monotonic() + wait
    while True:
        lines = [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []
        found = [x for x in lines if x.get("request_id") == request_id]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, lines
            return found[0]
        time.sleep(0.1)


def test_tls_handshake_checks_the_host_name(unit_server):
    _, port, ca = unit_server
    context = ssl.create_default_context(cafile=ca)
    for good in ("localhost", "127.0.0.1"):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            with context.wrap_socket(raw, server_hostname=good) as tls_sock:
                assert tls_sock.version() in ("TLSv1.2", "TLSv1.3")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch|match"):
            context.wrap_socket(raw, server_hostname="wrong.example")


def test_serve_tls_without_certificates_says_how_to_make_them(tmp_path):
    assert floorscan("init", "--db", str(tmp_path / "e.db")).returncode == 0
    r = floorscan("serve", "--db", str(tmp_path / "e.db"), "--port", str(free_port()), "--tls", str(tmp_path / "none"))
    assert r.returncode != 0
    assert "floorscan tls init --dir" in r.stderr and "server.crt" in r.stderr


def test_serve_tls_with_a_damaged_key_is_refused(tmp_path):
    assert floorscan("tls", "init", "--dir", str(tmp_path / "tls"), "--hosts", "localhost").returncode == 0
    (tmp_path / "tls" / "server.key").write_text("not a key")
    assert floorscan("init", "--db", str(tmp_path / "e.db")).returncode == 0
    r = floorscan("serve", "--db", str(tmp_path / "e.db"), "--port", str(free_port()), "--tls", str(tmp_path / "tls"))
    assert r.returncode != 0 and "cannot be read" in r.stderr


def test_readme_explains_the_workers_and_redis():
    text = (DEPLOY / "README.md").read_text()
    for needle in ("writer process", "FLOORSCAN_SOCKETIO_MESSAGE_QUEUE", "ip_hash", "docs/performance.md"):
        assert needle in text, needle


def test_container_entrypoint_creates_database_and_certificates_on_first_start(tmp_path):
    env = {"PATH": f"{Path(FLOORSCAN).parent}:/usr/bin:/bin", "FLOORSCAN_DATABASE": str(tmp_path / "edge.db"),
           "FLOORSCAN_TLS_DIR": str(tmp_path / "tls"), "FLOORSCAN_TLS_HOSTS": "dockbox.local 192.168.10.5"}
    r = subprocess.run(["sh", str(DEPLOY / "docker-entrypoint.sh"), "serve", "--help"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "created warehouse database" in r.stdout and "usage: floorscan serve" in r.stdout
    from edge.ops import tls
    assert tls.server_hosts(tmp_path / "tls") == ["dockbox.local", "localhost", "192.168.10.5", "127.0.0.1"]
