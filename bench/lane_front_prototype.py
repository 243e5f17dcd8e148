"""What an event-loop front for the command lane would give: a measurement, not a server.

    python bench/lane_front_prototype.py [--seconds 15] [--fronts 2] [--clients 50]

Runs the real writer process (`python -m edge.writer_process`, the real ledger,
synchronous=FULL) on a bench warehouse, and in front of it N processes that each
run one asyncio loop: read a `POST /api/v1/commands`, send the token and body to
the writer process over ONE multiplexed connection per process, write the answer.
No gunicorn, no request threads, no blocking receive per scan. Then the same
closed-loop handhelds as bench/scan_load.py drive it, without Socket.IO
supervisors (so compare it with `scan_load.py --socketio-clients 0`).

It is deliberately incomplete: no other path, no request ids, metrics, live
events, access log, TLS, or the view's error answers, and it trusts the client's
framing. It exists to size the next lever of docs/performance.md ("Targets, and
what remains", item 1) before anyone builds it properly. Asserts nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import pickle
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import free_port, machine_header, make_workdir, python, remove_workdir  # noqa: E402
from _loadgen import run_load  # noqa: E402
from _scan_clients import Handheld, PINS, prepare_floorscan_db  # noqa: E402

HEADER = 4  # edge.wire: a 4-byte big-endian length, then a pickle


async def serve_front(port: int, writer_socket: str) -> None:
    from edge.wire import encode
    wr, ww = await asyncio.open_unix_connection(writer_socket)
    loop = asyncio.get_running_loop()
    pending: dict[int, asyncio.Future] = {}
    ids = itertools.count(1)

    async def answers() -> None:
        while True:
            size = int.from_bytes(await wr.readexactly(HEADER), "big")
            rid, ok, value = pickle.loads(await wr.readexactly(size))
            pending.pop(rid).set_result((ok, value))

    async def client(cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await cr.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                length, token = 0, None
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "authorization":
                        token = value.strip().partition(" ")[2]
                body = await cr.readexactly(length)
                rid = next(ids)
                pending[rid] = fut = loop.create_future()
                ww.write(encode(("call", rid, "apply_request", (token, body, 500), {})))
                ok, value = await fut
                if ok and isinstance(value, tuple):
                    status, data = b"200 OK", value[0]
                else:  # the real lane would hand these to the Flask view
                    status, data = b"503 Service Unavailable", b'{"title":"prototype"}'
                cw.write(b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                         % (status, len(data)) + data)
        except (asyncio.IncompleteReadError, ConnectionError):
            cw.close()

    reading = asyncio.create_task(answers())
    server = await asyncio.start_server(client, "127.0.0.1", port, reuse_port=True)
    async with server:
        await server.serve_forever()
    reading.cancel()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--fronts", type=int, default=2, help="front processes, one event loop each (default 2)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--front", nargs=2, metavar=("PORT", "SOCKET"), help=argparse.SUPPRESS)  # a child's role
    args = p.parse_args(argv)
    if args.front:
        asyncio.run(serve_front(int(args.front[0]), args.front[1]))
        return 0

    from edge.auth import credential, sign_in
    from edge.writer import Writer
    print("floorscan bench/lane_front_prototype.py (a measurement of the next lever, not a server)")
    for line in machine_header():
        print(line)
    tmp = make_workdir("floorscan-proto-")
    procs: list[subprocess.Popen] = []
    try:
        db = tmp / "edge.db"
        prepare_floorscan_db(db)
        w = Writer(db)
        try:
            tokens = [w.run(lambda c, i=i: sign_in(c, credential=credential(c, pin=PINS["receiver"], badge=None),
                                                   client="proto", device_id=f"proto-{i}", ttl_hours=8).token)
                      for i in range(args.clients)]
        finally:
            w.close()
        address = str(tmp / "writer.sock")
        writer = subprocess.Popen([python(), "-m", "edge.writer_process", "--db", str(db), "--socket", address,
                                   "--synchronous", "FULL"], stdout=subprocess.PIPE)
        procs.append(writer)
        if writer.stdout.readline().strip() != b"ready":
            print("the writer process did not start", file=sys.stderr)
            return 1
        port = free_port()
        fronts = [subprocess.Popen([python(), __file__, "--front", str(port), address]) for _ in range(args.fronts)]
        procs += fronts
        time.sleep(1.5)
        handhelds = [Handheld(t, seed=i) for i, t in enumerate(tokens)]
        watch = {"writer process": writer.pid, **{f"front {i}": f.pid for i, f in enumerate(fronts)}}
        res, usage = run_load(handhelds, port, seconds=args.seconds, warmup=3.0, watch=watch)
        print(f"\n{args.clients} handhelds, 1 command per POST, {args.seconds:g} s, {args.fronts} front processes, "
              "no Socket.IO supervisors")
        print(f"  {res.rate():,.0f} commands/s, p50 {res.pct(50):.1f} ms, p95 {res.pct(95):.1f} ms, "
              f"p99 {res.pct(99):.1f} ms, errors {res.error_count}")
        cores = ", ".join(f"{k} {v:.2f}" for k, v in usage.items() if k in watch or k == "load generator")
        print(f"  cores busy: {usage['machine']:.2f} of the machine = {cores}")
        rate = max(res.rate(), 1.0)
        front_us = sum(usage[k] for k in watch if k.startswith("front")) / rate * 1e6
        print(f"  CPU per request: the fronts {front_us:,.0f} us, the writer process "
              f"{usage['writer process'] / rate * 1e6:,.0f} us")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
        remove_workdir(tmp, False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
