"""Helpers for the label tests: decode rendered labels back with zxing-cpp,
render PDF pages to images, and a stand-in network printer (a real TCP socket)."""
from __future__ import annotations

import io
import select
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

GS = shutil.which("gs")  # Ghostscript renders PDF pages; pdftoppm is often missing


def decode(png: bytes) -> list[tuple[str, str, str]]:
    """(text, format, AIM symbology identifier) of every barcode zxing-cpp finds in a PNG."""
    import zxingcpp
    from PIL import Image
    image = Image.open(io.BytesIO(png)).convert("L")
    return [(r.text, r.format.name, r.symbology_identifier) for r in zxingcpp.read_barcodes(image)]


def pdf_pages_as_png(pdf: bytes, dpi: int = 200) -> list[bytes]:
    """Each page of a PDF as a PNG, via Ghostscript."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run([GS, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pnggray", f"-r{dpi}",
                        f"-sOutputFile={tmp}/p-%03d.png", str(src)], check=True, timeout=60)
        return [p.read_bytes() for p in sorted(Path(tmp).glob("p-*.png"))]


class FakePrinter:
    """A raw port-9100 listener that keeps every job it receives."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.jobs: list[bytes] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            chunks = []
            with conn:
                while data := conn.recv(65536):
                    chunks.append(data)
            self.jobs.append(b"".join(chunks))
            self.done.set()

    def close(self):
        self.sock.close()


class StuckPrinter:
    """A printer whose accept queue is full: the next connection attempt hangs
    (Linux drops the SYN), which is what a printer that is busy or half-dead looks like."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.fillers = []
        for _ in range(3):  # fill the backlog without ever accepting
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(self.sock.getsockname())
            self.fillers.append(s)
        # The first filler's handshake done (it is writable): the queue is full before any test connects.
        select.select([], self.fillers[:1], [], 30)

    def close(self):
        for s in self.fillers:
            s.close()
        self.sock.close()


def closed_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"127.0.0.1:{port}"
