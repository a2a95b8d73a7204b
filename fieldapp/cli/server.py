"""`fieldapp serve` and `fieldapp demo`: waitress for a village laptop, and its address."""
import logging
import socket
import sys
import threading
import time

import click

__all__ = ["serve", "demo", "run_server", "lan_address", "terminal_qr", "VILLAGE_SERVER"]


# private addresses a UDP socket is "connected" to, so that the kernel picks the interface
# that would reach them; a UDP connect sends nothing, and none needs the internet
PRIVATE_PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")


def lan_address(probes=PRIVATE_PROBES):
    """The laptop's address on its Wi-Fi (the interface routing to a private network),
    else 127.0.0.1. Nothing is sent."""
    for probe in probes:
        probe_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe_socket.connect((probe, 9))
            address = probe_socket.getsockname()[0]
        except OSError:
            continue
        finally:
            probe_socket.close()
        if address and not address.startswith(("127.", "0.")):
            return address
    return "127.0.0.1"


def remember_address(data_dir, url):
    """Keep the address a site was last served on, for `fieldapp qr` to point at."""
    from fieldapp.site import Site
    site = Site(data_dir)
    if site.settings.get("served_url") != url:
        site.update_settings(lambda settings: settings.update(served_url=url))
    site.close()


def terminal_qr(text):
    """A QR code of `text` drawn with characters for the terminal."""
    import io

    import qrcode
    code = qrcode.QRCode(border=1)
    code.add_data(text)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


# waitress for a village laptop: a few dozen phones, each keeping up to 6 connections
# open. Its defaults (100 connections, idle ones kept 120 s) let 110 held-open sockets
# stall every new client for two minutes; poll, not select, has no 1024-descriptor ceiling.
VILLAGE_SERVER = {"connection_limit": 500, "channel_timeout": 30, "cleanup_interval": 10,
                  "backlog": 1024, "asyncore_use_poll": True}


class QueueWarnings(logging.Filter):
    """Lets one "Task queue depth" warning a minute through, counting the ones held back.

    Under a burst waitress warns once per queued request, which would scroll the LAN
    address and QR code off the terminal. Only logger `waitress.queue` is filtered; its
    warnings come from waitress's one dispatching thread.
    """

    def __init__(self, interval=60):
        super().__init__()
        self.interval = interval
        self.quiet_until = 0.0
        self.held = 0

    def filter(self, record):
        now = time.monotonic()
        if now < self.quiet_until:
            self.held += 1
            return False
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.msg = "Máy đang bận: %s yêu cầu phải xếp hàng chờ"
        record.args = (depth,)
        if self.held:
            record.msg += " (đã bỏ bớt %d lần báo như vậy từ lần báo trước)"
            record.args = (depth, self.held)
        self.quiet_until = now + self.interval
        self.held = 0
        return True


QUEUE_WARNINGS = QueueWarnings()


def run_server(app, host, port, announce=True):
    """Serve the app with waitress; print the address and its QR code."""
    import waitress
    logging.getLogger("waitress.queue").addFilter(QUEUE_WARNINGS)     # added once
    # waitress reads whole bodies up to its own limit; keep it above Flask's so that an
    # oversized request still gets the JSON 413, and only absurd ones are cut by waitress
    server = waitress.create_server(app, host=host, port=port, threads=8,
                                    max_request_body_size=4 * app.config["MAX_CONTENT_LENGTH"],
                                    ident="fieldapp", **VILLAGE_SERVER)
    real_port = server.effective_port
    shown = lan_address() if host in ("0.0.0.0", "") else host
    app.config["LAN_ADDRESS"] = shown          # for the addresses printed on login cards
    url = f"http://{shown}:{real_port}/"
    remember_address(app.config["DATA_DIR"], url)
    if announce:
        click.echo(f"fieldapp đang chạy: {url}")
        click.echo("Trên điện thoại, nối Wi-Fi của máy này rồi quét mã:")
        click.echo(terminal_qr(url))
    sys.stdout.flush()
    server.run()


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.pass_obj
def serve(obj, host, port):
    """Serve the site to phones on this laptop's network."""
    from fieldapp import create_app
    from fieldapp.cli.retention import phones_if_needed, purge_if_due
    purged = purge_if_due(obj.site())          # the retention date passed: purge first
    if purged:
        click.echo(purged)
    phones_if_needed(obj.site())               # phones recorded before consent existed
    app = create_app({"DATA_DIR": obj.data_dir})
    run_server(app, host, port)


@click.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the village site; the commune site uses the next one.")
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Address to listen on: every interface, so phones on the laptop's Wi-Fi "
                   "reach it (the demo's data is made up); 127.0.0.1 keeps it to this laptop.")
@click.option("--no-serve", is_flag=True, help="Only build the demo data, do not serve it.")
@click.option("--seed", default=2025, show_default=True, help="Random seed of the demo data.")
@click.pass_obj
def demo(obj, port, host, no_serve, seed):
    """Build a seeded demo commune (villages, weeks of visits) and serve it."""
    from fieldapp.cli.demo import build_demo
    summary = build_demo(obj.data_dir, seed=seed)
    if no_serve:
        click.echo(summary.describe())
    else:
        serve_demo(summary, host, port)     # prints the summary with the addresses


def demo_servers(summary, host, port):
    """The waitress servers of the demo: the first village on `port`, the commune centre
    on the next, the province (when the demo has one) on the one after; and the addresses
    a phone on the Wi-Fi opens."""
    import waitress

    from fieldapp import create_app
    shown = lan_address() if host in ("0.0.0.0", "") else host
    apps = [create_app({"DATA_DIR": summary.villages[0][2]}),
            create_app({"DATA_DIR": summary.commune_dir})]
    if summary.province_dir:
        apps.append(create_app({"DATA_DIR": summary.province_dir}))
    servers = []
    for n, app in enumerate(apps):
        p = port + n if port else 0
        app.config["LAN_ADDRESS"] = shown     # for the login cards and QR codes
        servers.append(waitress.create_server(app, host=host, port=p, threads=6,
                                              ident="fieldapp", **VILLAGE_SERVER))
    urls = [f"http://{shown}:{s.effective_port}/" for s in servers]
    for app, url in zip(apps, urls):
        remember_address(app.config["DATA_DIR"], url)
    return servers, urls


def serve_demo(summary, host, port):
    """Serve the first village site on `port` and the commune centre on `port + 1`."""
    from fieldapp.cli.demo import link_push
    servers, urls = demo_servers(summary, host, port)
    link_push(summary, urls[1])
    if summary.province_dir:
        from fieldapp.cli.demo_province import link_province
        link_province(summary, urls[2])
    click.echo(summary.describe(*urls))
    click.echo(f"Trên điện thoại, nối cùng Wi-Fi với máy này rồi quét mã để mở {urls[0]}round:")
    click.echo(terminal_qr(urls[0] + "round"))
    click.echo("Nhấn Ctrl+C để dừng.")
    sys.stdout.flush()
    for server in servers[1:]:
        threading.Thread(target=server.run, daemon=True).start()
    try:
        servers[0].run()
    except KeyboardInterrupt:
        pass
