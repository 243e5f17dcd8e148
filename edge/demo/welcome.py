"""What `floorscan demo` prints: where to open it, a QR code for phones, who to sign in as."""
from __future__ import annotations

import ipaddress
import socket
import sys
from typing import TextIO

import segno

WILDCARD = {"", "0.0.0.0", "::", "[::]"}
LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}
# Bridges and tunnels a phone on the Wi-Fi cannot reach.
VIRTUAL = ("docker", "br-", "veth", "virbr", "lxc", "lxd", "cni", "flannel", "podman", "tun", "tap", "wg",
           "zt", "tailscale")
SIOCGIFADDR = 0x8915  # Linux


def _interface_addresses() -> list[tuple[str | None, str]]:
    """IPv4 address of each network interface, read from the kernel (Linux).

    An ioctl on an unconnected socket: no packet leaves the machine.
    """
    try:
        import fcntl
        import struct
        found = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
                except OSError:
                    continue  # interface down or without IPv4
                found.append((name, socket.inet_ntoa(packed[20:24])))
        return found
    except (ImportError, OSError, AttributeError):
        return []


def _hostname_addresses() -> list[tuple[str | None, str]]:
    # Fallback where the ioctl is not available. The hostname usually resolves
    # from /etc/hosts or the OS's own resolver without a query on the network.
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return []
    return [(None, info[4][0]) for info in infos]


def _rank(name: str | None, ip: str) -> tuple | None:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if addr.is_loopback or addr.is_link_local or addr.is_unspecified or addr.is_multicast:
        return None
    virtual = bool(name and name.startswith(VIRTUAL))
    nets = ("192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12")
    home = next((i for i, net in enumerate(nets) if addr in ipaddress.ip_network(net)), len(nets))
    return (virtual, home)


def lan_address(candidates: list[tuple[str | None, str]] | None = None) -> str | None:
    """This machine's most likely address on the local network, or None."""
    if candidates is None:
        candidates = _interface_addresses() or _hostname_addresses()
    ranked = sorted((rank, ip) for name, ip in candidates if (rank := _rank(name, ip)) is not None)
    return ranked[0][1] if ranked else None


def _url(host: str, port: int) -> str:
    host = host.strip("[]")
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def urls(host: str, port: int) -> tuple[str, str | None]:
    """(URL on this machine, URL for a phone on the same network or None)."""
    if host in WILDCARD:
        lan = lan_address()
        return _url("localhost", port), (_url(lan, port) if lan else None)
    if host in LOOPBACK:
        return _url("localhost", port), None
    return _url(host, port), _url(host, port)


def _qr(url: str, out: TextIO) -> None:
    qr = segno.make_qr(url)  # make_qr: never a Micro QR, which phone cameras do not read
    try:
        qr.terminal(out=out, compact=True)
    except UnicodeEncodeError:  # a terminal without block characters: ANSI colours instead
        qr.terminal(out=out)


def print_welcome(host: str, port: int, users: list[dict], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    local, phone = urls(host, port)
    say = lambda text="": print(text, file=out)  # noqa: E731
    say()
    say("floorscan demo warehouse")
    say()
    say(f"  On this computer:          {local}")
    if phone:
        say(f"  On a phone (same network): {phone}")
        say()
        _qr(phone, out)
    elif host in LOOPBACK:
        say("  Phones cannot reach it: it listens on this computer only (use --host 0.0.0.0).")
    else:
        say(f"  On a phone: http://<this computer's address>:{port}/ (could not find a network address)")
    say()
    if users:
        say("  Sign in with a PIN, or scan the badge:")
        say(f"    {'role':<12}{'name':<18}{'PIN':<8}badge")
        for u in users:
            say(f"    {u['role']:<12}{u['name']:<18}{u['pin']:<8}{u['badge']}")
        say()
        pin = next((u["pin"] for u in users if u["role"] == "supervisor"), users[0]["pin"])
        say("  Sign in from a shell:")
        say(f"    curl -X POST {local}api/v1/session -H 'Content-Type: application/json' "
            f"-d '{{\"pin\":\"{pin}\"}}'")
        say()
        say("  These PINs are printed because this is a demo database; a real site never stores them.")
    else:
        say("  This database holds no demo users; add one with: floorscan users add --db ... --name ... "
            "--role supervisor --pin ...")
    say()
    out.flush()
