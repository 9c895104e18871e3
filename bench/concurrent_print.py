#!/usr/bin/env python3
"""Two Print runs at once on a server of two HTTP workers (issue 23, case 8).

    ./dev bench --concurrent-print                       # 2 runs of 3 printed notices, 2 workers
    ./dev bench --concurrent-print --notices 5 --limit-time-real 60

wkhtmltopdf fetches a report's stylesheets from the Odoo server itself (``report.url``, else
``web.base.url``). When a Print send renders its PDFs inside the HTTP request, two sends at once hold both
workers of a 2-worker server, and each one's wkhtmltopdf waits for a worker to serve its stylesheets: both
requests wait until their time limit (``limit_time_real``), the workers are killed, nothing is sent.

This script starts such a server (the database of the scale-out bench, ``dunning_bench<series>_scale``, built
once; ``--workers`` HTTP workers, one cron worker, on a free local port, bench/odoo_server.py), logs in as
the bench's accountant over HTTP (JSON-RPC, a session per run), prepares two wizards of ``--notices``
customers each to print, then sends both at once (two threads) and checks:

- both HTTP calls return (each within ``limit_time_real`` plus a margin: the script never waits longer);
- ``/web/login`` answers right after;
- every notice of both runs ends processed (``done``) within ``--timeout`` seconds, and each run's
  *Download Letters* gives their PDF over HTTP (``/report/pdf/...``, the stored letters).

It stops the server and prints the result; exit code 0 when everything held. The server's log is
bench/out/scale_print.log.
"""

# pylint: disable=print-used
# A command-line benchmark: it prints its report.
import argparse
import os
import socket
import sys
import threading
import time

import requests
from bench_scale_out import AS_OF, DB, OUT, Server, prepare_database, reset, seed

PASSWORD = "bench-print"  # the bench accountant's, set by this script (a throwaway database)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="Odoo configuration file (.local/odoo.conf)")
    parser.add_argument("--notices", type=int, default=3, help="printed notices per run")
    parser.add_argument("--workers", type=int, default=2, help="HTTP workers of the server")
    parser.add_argument("--limit-time-real", type=int, default=120, help="the server's limit_time_real (Odoo's 120)")
    parser.add_argument("--timeout", type=int, default=180, help="seconds the notices may take once sent")
    return parser.parse_args()


def free_port():
    """A free local port whose neighbour +100 (the server's gevent port) is free too."""
    for _attempt in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 100 < 65536:
            with socket.socket() as other:
                try:
                    other.bind(("127.0.0.1", port + 100))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port found")


class Client:
    """An accountant's session over JSON-RPC, as the web client calls the server."""

    def __init__(self, base_url, login, timeout):
        self.base_url, self.timeout = base_url, timeout
        self.session = requests.Session()
        result = self._post("/web/session/authenticate", {"db": DB, "login": login, "password": PASSWORD})
        if not result.get("uid"):
            raise RuntimeError(f"could not log in as {login}")

    def _post(self, path, params, timeout=None):
        response = self.session.post(
            f"{self.base_url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=timeout or self.timeout,
        )
        response.raise_for_status()
        payload = response.json()
        if payload.get("error"):
            raise RuntimeError(payload["error"]["data"].get("message") or payload["error"]["message"])
        return payload["result"]

    def call(self, model, method, *args, timeout=None, **kwargs):
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
            timeout=timeout,
        )


def prepare(env, args, port):
    """Seed (once) the customers, the accountant and the level; no notice of an earlier run; the
    report assets fetched from this server."""
    accountant, level, partners = seed(env, 2 * args.notices)
    accountant.password = PASSWORD
    reset(env)
    params = env["ir.config_parameter"]
    for key in ("web.base.url", "report.url"):
        params.set_param(key, f"http://127.0.0.1:{port}")
    params.set_param("web.base.url.freeze", "True")
    env.cr.commit()
    half = len(partners) // 2
    return accountant.login, level.id, [partners[:half].ids, partners[half:].ids]


def prepare_wizard(client, level_id, partner_ids):
    """A wizard of these customers, filters applied, every line to print only (as the accountant
    clicks through it)."""
    wizard_id = client.call(
        "dunning.notice.send",
        "create",
        {
            "level_id": level_id,
            "date_mode": "custom",
            "as_of_date": AS_OF.isoformat(),
            "partner_ids": [(6, 0, partner_ids)],
        },
    )
    client.call("dunning.notice.send", "action_apply_filters", [wizard_id])
    [wizard] = client.call("dunning.notice.send", "read", [wizard_id], ["line_ids"])
    client.call("dunning.notice.send.line", "write", wizard["line_ids"], {"to_print": True, "to_email": False})
    return wizard_id, len(wizard["line_ids"])


def send(client, wizard_id, barrier, outcome):
    barrier.wait()
    start = time.perf_counter()
    try:
        result = client.call("dunning.notice.send", "action_send", [wizard_id])
        outcome["message"] = (result.get("params") or {}).get("message", result.get("type"))
    except Exception as error:  # noqa: BLE001 - reported: a timeout, a killed worker
        outcome["error"] = f"{type(error).__name__}: {error}"
    outcome["seconds"] = round(time.perf_counter() - start, 1)


def login_page_answers(base_url):
    start = time.perf_counter()
    try:
        status = requests.get(f"{base_url}/web/login", timeout=15).status_code
    except requests.RequestException as error:
        return False, f"{type(error).__name__} after {time.perf_counter() - start:.1f} s"
    return status == 200, f"HTTP {status} in {time.perf_counter() - start:.1f} s"


def wait_processed(client, wizard_ids, timeout):
    """The notices of the wizards, once none is queued any more (or the timeout passed)."""
    deadline = time.time() + timeout
    notice_ids = [
        notice_id
        for wizard in client.call("dunning.notice.send", "read", wizard_ids, ["notice_ids"])
        for notice_id in wizard["notice_ids"]
    ]
    notices = []
    while notice_ids:
        notices = client.call("dunning.notice", "read", notice_ids, ["state", "run_id"])
        if (notices and not any(n["state"] == "queued" for n in notices)) or time.time() > deadline:
            return notices
        time.sleep(1)
    return notices


def download_letters(client, base_url, run_id):
    """The run's Download Letters, then the PDF its report action points at, as the browser fetches it."""
    try:
        action = client.call("dunning.run", "action_download_letters", [run_id])
    except RuntimeError as error:
        return False, f"no download: {error}"
    url = f"{base_url}/report/pdf/{action['report_name']}/{','.join(map(str, action['context']['active_ids']))}"
    response = client.session.get(url, timeout=client.timeout)
    is_pdf = response.status_code == 200 and response.content.startswith(b"%PDF")
    return is_pdf, f"{len(action['context']['active_ids'])} letters, HTTP {response.status_code}, " + (
        f"{len(response.content)} bytes of PDF" if is_pdf else response.headers.get("Content-Type", "")
    )


def main():
    args = parse_args()
    import odoo
    from odoo import api

    os.makedirs(OUT, exist_ok=True)
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn", "--workers=0"])
    prepare_database(args, odoo)
    registry = odoo.modules.registry.Registry(DB)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with registry.cursor() as cr:
        login, level_id, partner_sets = prepare(api.Environment(cr, odoo.SUPERUSER_ID, {}), args, port)
    # the HTTP calls wait at most the server's time limit and a margin: the script always ends
    http_timeout = args.limit_time_real + 30
    server_args = argparse.Namespace(config=args.config, workers=args.workers)
    server = Server(
        "print", server_args, port, "root:0", port, queue_job=False, extra=[f"--limit-time-real={args.limit_time_real}"]
    )
    checks = {}
    try:
        server.wait_ready()
        clients = [Client(base_url, login, http_timeout) for _run in partner_sets]
        wizards = [
            prepare_wizard(client, level_id, partner_ids)
            for client, partner_ids in zip(clients, partner_sets, strict=True)
        ]
        print(
            f"server: {args.workers} HTTP workers, 1 cron worker, limit_time_real {args.limit_time_real} s, "
            f"port {port}; two runs of {[count for _id, count in wizards]} printed notices, sent at once...",
            flush=True,
        )
        barrier = threading.Barrier(len(clients))
        outcomes = [{} for _client in clients]
        threads = [
            threading.Thread(target=send, args=(client, wizard_id, barrier, outcome), daemon=True)
            for client, (wizard_id, _count), outcome in zip(clients, wizards, outcomes, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(http_timeout + 10)
        for index, outcome in enumerate(outcomes, 1):
            print(f"  send {index}: {outcome}", flush=True)
        checks["both sends returned"] = all("message" in outcome for outcome in outcomes)
        checks["/web/login answers"], detail = login_page_answers(base_url)
        print(f"  /web/login: {detail}", flush=True)
        start = time.perf_counter()
        notices = wait_processed(clients[0], [wizard_id for wizard_id, _count in wizards], args.timeout)
        states = {}
        for notice in notices:
            states[notice["state"]] = states.get(notice["state"], 0) + 1
        expected = sum(count for _id, count in wizards)
        print(f"  notices after {time.perf_counter() - start:.1f} s: {states or 'none'} (of {expected})", flush=True)
        checks["every notice processed"] = states.get("done", 0) == expected
        runs = sorted({notice["run_id"][0] for notice in notices})
        downloads = [download_letters(client, base_url, run_id) for client, run_id in zip(clients, runs, strict=False)]
        for run_id, (_ok, detail) in zip(runs, downloads, strict=True):
            print(f"  run {run_id}, Download Letters: {detail}", flush=True)
        checks["each run downloads its letters"] = len(downloads) == len(clients) and all(ok for ok, _ in downloads)
    except Exception as error:  # noqa: BLE001 - the bench reports what failed, then stops the server
        print(f"  failed: {type(error).__name__}: {error}", flush=True)
        checks["no error"] = False
    finally:
        server.stop()
    print("\nConcurrent Print sends on a 2-worker server:")
    for name, ok in checks.items():
        print(f"  {'yes' if ok else 'NO '}  {name}")
    ok = bool(checks) and all(checks.values())
    print("result: " + ("both Print runs finished" if ok else "FAILED") + f" (server log: {server.log})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
