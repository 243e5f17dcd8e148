"""floorscan camera: run a fixed dock camera station (docs/decoding.md)."""
from __future__ import annotations

import argparse
import os
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "camera", help="read barcodes from a fixed dock camera and receive ASN pallets",
        description="Decode frames from a camera (rtsp:// or http:// URL, /dev/videoN, a camera number or a video "
                    "file). An SSCC of an open ASN receives that pallet at the dock bin (receipt.pallet through "
                    "POST /api/v1/commands); other codes are logged as station reads. Frames/s, decode latency and "
                    "reads are reported to the edge, which shows them to supervisors live.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--source", required=True, help="rtsp://..., http://..., /dev/video0, 0, or a video file")
    p.add_argument("--station", required=True, help="name of this station, e.g. DOCK-1")
    p.add_argument("--dock-bin", help="dock bin pallets are received into (default: the station name)")
    p.add_argument("--edge", default=os.environ.get("FLOORSCAN_EDGE_URL", "http://127.0.0.1:8000"),
                   help="the edge's address (env FLOORSCAN_EDGE_URL)")
    p.add_argument("--token", help="bearer token of a receiver account (env FLOORSCAN_CAMERA_TOKEN)")
    p.add_argument("--pin", help="PIN of a receiver account to sign in with (env FLOORSCAN_CAMERA_PIN; "
                                 "prefer the environment: a PIN on the command line shows in `ps`)")
    p.add_argument("--repeat-window", type=float, default=10.0,
                   help="seconds a code must be out of view before it counts again")
    p.add_argument("--report-every", type=float, default=5.0, help="seconds between health reports")
    p.add_argument("--queue", type=int, default=2, help="frames held while decoding is busy (oldest dropped)")
    p.add_argument("--realtime", action="store_true", help="play a video file at its frame rate, like a camera")
    p.add_argument("--steps", default="full,regions",
                   help="pipeline steps, in order (full, regions, upscale); see docs/decoding.md")
    p.set_defaults(func=cmd_camera)


def cmd_camera(args) -> int:
    import logging
    import threading

    from edge.decode.dock import Dock, EdgeClient, EdgeUnreachable
    from edge.decode.pipeline import Pipeline
    from edge.decode.station import FrameSource, Station

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    token = args.token or os.environ.get("FLOORSCAN_CAMERA_TOKEN")
    pin = args.pin or os.environ.get("FLOORSCAN_CAMERA_PIN")
    if not token and not pin:
        print("floorscan camera: give --token or --pin (or FLOORSCAN_CAMERA_TOKEN / FLOORSCAN_CAMERA_PIN) of a "
              "receiver account", file=sys.stderr)
        return 2
    if args.queue < 1 or args.report_every <= 0 or args.repeat_window < 0:
        print("floorscan camera: --queue must be >= 1, --report-every > 0, --repeat-window >= 0", file=sys.stderr)
        return 2
    try:
        pipeline = Pipeline("camera", steps=tuple(s.strip() for s in args.steps.split(",") if s.strip()))
    except ValueError as exc:
        print(f"floorscan camera: {exc}", file=sys.stderr)
        return 2
    try:
        client = EdgeClient(args.edge, token=token, pin=pin, device_id=f"camera:{args.station}")
    except (EdgeUnreachable, PermissionError) as exc:
        print(f"floorscan camera: cannot sign in at {args.edge}: {exc}", file=sys.stderr)
        return 1
    dock = Dock(client, args.station, args.dock_bin or args.station)
    source = FrameSource(args.source, queue_size=args.queue, realtime=args.realtime).start()
    station = Station(args.station, source, dock.on_read, pipeline=pipeline, repeat_window=args.repeat_window)
    done = threading.Event()

    def report():
        while not done.wait(args.report_every):
            dock.flush(station.status())

    dock.flush(station.status())   # supervisors see the station at once, as "starting"
    reporter = threading.Thread(target=report, name="camera-report", daemon=True)
    reporter.start()
    import signal
    previous = None
    if threading.current_thread() is threading.main_thread():
        # systemd stops the station with SIGTERM: finish the frame, send the last report.
        previous = signal.signal(signal.SIGTERM, lambda *_: station.stop())
    try:
        station.run()
    except KeyboardInterrupt:
        station.stop()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    done.set()
    reporter.join()
    final = {**station.status(), "status": "stopped"}
    for _ in range(3):
        if dock.flush(final) and not dock.outbox and not dock.pending:
            break
    print(f"camera {args.station}: {final['frames']} frames, {final['reads']} reads, {final['dropped']} dropped, "
          f"decode p50 {final['decode_ms_p50']} ms p99 {final['decode_ms_p99']} ms")
    if final["frames"] == 0 and final["last_error"]:
        print(f"floorscan camera: {final['last_error']}", file=sys.stderr)
        return 1
    return 0
