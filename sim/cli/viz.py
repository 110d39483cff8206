"""``tis-sim viz``: serve the browser page (``sim.app``) with Solara, offline.

It needs the ``viz`` extra (``pip install 'tis-sim[viz]'``); without it the command says
so in one line. Everything the page needs is served by this process: Solara's front-end
comes from the ``solara-assets`` package (no CDN), and Solara's own calls home (version
check, usage telemetry, the dev-mode check frame) are switched off, so the page works on a
machine without internet and no request leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import warnings
from importlib import metadata

from sim.errors import UserError, require_extra

#: Environment for Solara, set before it is imported (its settings read them at import).
OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",  # no usage reports to mixpanel.com
    "SOLARA_ASSETS_PROXY": "true",  # serve front-end files from the local solara-assets copy
    "SOLARA_THEME_SHOW_BANNER": "false",
    "SOLARA_THEME_TITLE": "tis-sim: how classroom technology spreads",
    # A tab that vanished without closing (crash, lost network) frees its session's models
    # after this long; a closed tab frees them at once. Solara's default is 24 hours.
    "SOLARA_KERNEL_CULL_TIMEOUT": "2m",
}
#: Solara's page template disables zooming and has no language; the served page fixes both
#: (WCAG 1.4.4 resize text, 3.1.1 language of page).
HTML_FIXES = (
    ("<html>", '<html lang="en">'),
    (", maximum-scale=1, user-scalable=no", ""),
)
APP = "sim.app.page"


def check_port(host: str, port: int) -> None:
    """Fail early, with the field named, if ``host:port`` cannot be served."""
    if not 0 <= port <= 65535:
        raise UserError(f"--port: {port} is not allowed; expected a whole number from 0 to "
                        "65535 (0 picks a free port)")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
    except OSError as exc:
        raise UserError(f"--host/--port: cannot listen on {host}:{port} ({exc.strerror}); "
                        "choose another --port (0 picks a free one) or a local --host") from None


def _has_distribution(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def accessible_html(html: str | None) -> str | None:
    """The page's HTML with :data:`HTML_FIXES` applied."""
    if not isinstance(html, str):
        return html
    for old, new in HTML_FIXES:
        html = html.replace(old, new, 1)
    return html


def _patch_page_template() -> None:
    """Apply :data:`HTML_FIXES` to every page Solara serves (its template has no hook).

    Solara creates the served app when its server module is first imported, from
    ``SOLARA_APP`` (which ``solara run`` sets to the same value later).
    """
    os.environ["SOLARA_APP"] = APP
    import solara.server.server as server

    if getattr(server.read_root, "_tis_sim", False):
        return
    original = server.read_root

    def read_root(*args, **kwargs):
        return accessible_html(original(*args, **kwargs))

    read_root._tis_sim = True
    server.read_root = read_root


def solara_args(host: str, port: int) -> list[str]:
    """Arguments of ``solara run`` for an offline production server."""
    return [
        "run", APP, "--host", host, "--port", str(port),
        "--production",  # no auto-restart, no dev-mode check frame from solara.dev
        "--no-open",  # the user opens the printed address
        "--no-check-version",  # no call to PyPI
        "--theme-variant", "light",
    ]


def _viz(args: argparse.Namespace) -> int:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    require_extra("viz", "tis-sim viz", "solara", "ipyvuetify", "PIL")
    check_port(args.host, args.port)
    if not _has_distribution("solara-assets"):
        print("tis-sim viz: note: solara-assets is not installed, so the page loads its "
              "front-end from the internet; install the 'viz' extra to serve it locally")
    # Imported late: Solara reads the environment above when first imported.
    import solara.server.settings
    from solara.__main__ import cli

    solara.server.settings.telemetry.mixpanel_enable = False  # in case Solara was imported
    _patch_page_template()
    # Solara warns on every plain-http page load that cross-site (iframe) cookies need https;
    # this page is served over plain http to this machine, where its same-site cookie is right.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"tis-sim viz: note: listening on {args.host}; anyone who can reach this "
              "machine can use the page")
    print("tis-sim viz: press Ctrl+C to stop")
    import click

    try:
        cli.main(args=solara_args(args.host, args.port), prog_name="tis-sim viz",
                 standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl+C or SIGTERM while serving
        pass
    print("tis-sim viz: stopped")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``viz`` subcommand."""
    p = sub.add_parser("viz", help="serve the interactive browser page (offline; needs the "
                                   "viz extra)",
                       description="Serve the interactive page: watch the district, change a "
                                   "policy, see the spread. Open the printed address in a "
                                   "browser; stop with Ctrl+C.")
    p.add_argument("--port", type=int, default=8765,
                   help="port to listen on (default: %(default)s; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only)")
    p.set_defaults(func=_viz)
