"""Send raw ZPL to a network label printer (port 9100, "raw" / JetDirect).

Zebra printers take the job as plain bytes on a TCP connection and answer
nothing, so "sent" means the printer accepted every byte; whether the media
ran out is on the printer's display, not here.
"""
from __future__ import annotations

import socket

from edge.labels.errors import NotEncodable, PrinterTimeout, PrinterUnreachable

DEFAULT_PORT = 9100


def parse_address(address: str) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` -> (host, port)."""
    text = (address or "").strip()
    if not text:
        raise NotEncodable("give the printer as host:port, e.g. 10.0.0.40:9100", field="printer")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or str(DEFAULT_PORT)
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, str(DEFAULT_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise NotEncodable(f"{address!r} is not a printer address; use host:port, e.g. 10.0.0.40:9100",
                           field="printer")
    return host, int(port)


def send(address: str, job: str | bytes, timeout: float = 5.0) -> dict:
    """Deliver ``job`` to the printer; raises PrinterUnreachable / PrinterTimeout with the reason."""
    host, port = parse_address(address)
    data = job.encode("utf-8") if isinstance(job, str) else job
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
    except socket.timeout:
        raise PrinterTimeout(f"printer {host}:{port} did not accept the job within {timeout:g} s; check that it "
                             "is switched on and on the network", field="printer", printer=f"{host}:{port}") from None
    except socket.gaierror as exc:
        raise PrinterUnreachable(f"printer host {host!r} does not resolve ({exc.strerror})", field="printer",
                                 printer=f"{host}:{port}") from None
    except OSError as exc:
        raise PrinterUnreachable(f"cannot reach printer {host}:{port}: {exc.strerror or exc}", field="printer",
                                 printer=f"{host}:{port}") from None
    return {"printer": f"{host}:{port}", "bytes": len(data)}
