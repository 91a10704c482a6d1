"""``spectra-sklearn serve``: the lookup server of a SQLite catalogue."""

from pathlib import Path

__all__ = ["add_serve_parser", "run_serve"]


def add_serve_parser(sub):
    serve = sub.add_parser(
        "serve",
        help="serve a SQLite catalogue of predictions: look objects up by id in a browser",
        description="Serve the catalogue written by 'predict --output catalog.sqlite' or "
                    "'report --catalog' (Flask; the 'report' extra). Each object's "
                    "spectrum is read from its file when asked. Binds only 127.0.0.1 "
                    "unless --host says otherwise.",
    )
    serve.add_argument("catalog", type=Path, help="a catalogue (.sqlite)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8050, help="port (default: 8050; 0: any free)")
    return serve


def run_serve(args):
    from ..report._server import make_server

    server = make_server(args.catalog, host=args.host, port=args.port)
    print(f"serving {args.catalog} on http://{args.host}:{server.server_port}/ "
          "(Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
