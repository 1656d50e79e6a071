"""`scn serve [--host 127.0.0.1] [--port 8000] [--device cpu] [--model CHECKPOINT ...]`: a local web page to restore
images and compare before / after."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from typing import Any

from ..errors import ScnError
from ..web.server import MAX_PIXELS, MAX_UPLOAD, RestoreService, make_server


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="a local web page: restore an image, compare before / after",
                       description="Serve a page to restore images with the shipped models (or --model "
                                   "checkpoints) and compare before / after. Local only unless --host says otherwise.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this computer only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default %(default)s; 0: any free one)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--model", action="append", default=[], metavar="CHECKPOINT",
                   help="also offer this checkpoint on the page (repeatable)")
    p.add_argument("--max-upload-mb", type=float, default=MAX_UPLOAD / 2 ** 20, help="per image (default %(default)g)")
    p.add_argument("--max-pixels", type=int, default=MAX_PIXELS, help="per image (default %(default)d)")
    p.add_argument("--precision", default="fp32", metavar="{fp32,bf16,int8}",
                   help="bf16: convolutions in bf16 (a CPU with AMX or AVX-512 BF16, or CUDA); int8: every model "
                        "quantized to 8-bit integers (ONNX Runtime, CPU); default fp32")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ScnError(f"--port {args.port} is not a port number (0..65535)")
    service = RestoreService(args.device, args.model, int(args.max_upload_mb * 2 ** 20), args.max_pixels,
                             args.precision)
    try:
        server = make_server(args.host, args.port, service)
    except OSError as e:
        raise ScnError(f"cannot listen on {args.host}:{args.port} ({e.strerror or e}); try another --port") from None
    host, port = server.server_address[:2]
    if not ipaddress.ip_address(socket.gethostbyname(args.host)).is_loopback:
        print(f"scn serve: warning: listening on {args.host}: anyone who can reach this computer can use the page "
              "(it has no authentication); leave --host at 127.0.0.1 to keep it to yourself", file=sys.stderr)
    print(f"scn serve: open http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
