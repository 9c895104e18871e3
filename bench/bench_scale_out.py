#!/usr/bin/env python3
"""Scale-out stage of the benchmark (issue 17): the notice queue on OCA's queue_job, over two Odoo servers.

    ./dev bench --scale-out                      # 500 notices with PDF: one server, two servers, one killed
    ./dev bench --scale-out --notices 100 --scenarios two

Builds once a database of its own, ``dunning_bench<series>_scale`` (dunning_notices and its queue_job bridge, no
demo, N customers with one overdue invoice each). Each scenario removes the notices of the previous one,
starts the Odoo servers (``--workers`` HTTP workers each, ``server_wide_modules=base,web,queue_job``, no
cron), sends N notices by email with their PDF from the wizard as an accountant (the bridge splits them into
jobs in root.dunning), waits until no notice is queued and no job will still run, then counts:

- ``cron``: the baseline without queue_job: one server (queue_job not loaded server-wide, so the bridge
  leaves the queue to the cron) whose one cron worker processes the notices in batches of 50, rendering
  their PDFs through the report engine, ``dunning_notices.pdf_notices_per_call`` notices a call;
- ``one``: one server with the job runner (channels root:C,root.dunning:C);
- ``two``: two servers on the same database, the job runner on the first (root.dunning:C), the second with
  its runner disabled (root:0); the runner dispatches to a round-robin TCP proxy in front of both, as a
  load balancer would, and wkhtmltopdf fetches the report's stylesheets through it too (report.url);
- ``kill``: as ``two``, and the second server is killed (SIGKILL, all its processes) once a third of the
  notices are done: the jobs it was running die with it, queue_job's runner requeues them, the first
  server finishes.

Per scenario: wall time and notices/s, jobs (done, failed, retried, per server), the sum of the jobs'
execution times (per notice: the cost of a notice inside a job), the per-job overhead (wall time x capacity
minus execution time, per job: dispatch, HTTP, idle slots), and the correctness counts: notices done / in
error / still queued, chatter messages and mail.mail per notice (each must be exactly 1).
"""

# pylint: disable=print-used
# A command-line benchmark: it prints its report.
import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import date

import odoo.release

AS_OF = date(2026, 6, 30)
# one PostgreSQL serves every series, and a database belongs to one: the series is in the name
DB = f"dunning_bench{odoo.release.version_info[0]}_scale"
MODULES = "dunning_notices,dunning_notices_queue_job"
SEEDED_MARKER = "dunning_bench.scale_seeded"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
LIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="Odoo configuration file (.local/odoo.conf)")
    parser.add_argument("--notices", type=int, default=500, help="customers seeded and notices sent")
    parser.add_argument("--job-size", type=int, default=25, help="notices per job (the system parameter)")
    parser.add_argument("--workers", type=int, default=3, help="HTTP workers per server")
    parser.add_argument("--capacity", type=int, default=2, help="jobs at once, over all servers (root.dunning)")
    parser.add_argument("--port", type=int, default=8180, help="proxy port; servers on the next ones")
    parser.add_argument("--scenarios", default="cron,one,two,kill", help="comma-separated: cron, one, two, kill")
    parser.add_argument("--kill-at", type=float, default=1 / 3, help="share of notices done when killing")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a scenario may take")
    return parser.parse_args()


# -----------------------------------------------------------------------------
# A round-robin TCP proxy: what a load balancer in front of the servers does
# -----------------------------------------------------------------------------


class RoundRobinProxy:
    """Each connection to the next backend that accepts one (a dead server is skipped)."""

    def __init__(self, port, backends):
        self.backends = backends
        self.next = 0
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client):
        with self.lock:
            start, self.next = self.next, self.next + 1
        upstream = None
        for index in range(len(self.backends)):
            port = self.backends[(start + index) % len(self.backends)]
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                continue
        if upstream is None:
            client.close()
            return
        upstream.settimeout(None)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        # shutdown first: a thread blocked in accept() keeps the port listening after a mere close()
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()


# -----------------------------------------------------------------------------
# Odoo servers
# -----------------------------------------------------------------------------


class Server:
    def __init__(self, name, args, port, channels, runner_port, queue_job=True, extra=()):
        self.name, self.port = name, port
        self.log = os.path.join(OUT, f"scale_{name}.log")
        env = dict(
            os.environ,
            ODOO_QUEUE_JOB_CHANNELS=channels,
            ODOO_QUEUE_JOB_HOST="127.0.0.1",
            ODOO_QUEUE_JOB_PORT=str(runner_port),
        )
        command = [
            sys.executable,
            odoo_script(),
            "-c",
            args.config,
            "-d",
            DB,
            f"--db-filter=^{DB}$",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            f"--gevent-port={port + 100}",
            f"--workers={args.workers}",
            # the queue_job servers run no cron: the jobs alone process the notices
            f"--max-cron-threads={0 if queue_job else 1}",
            "--load=base,web,queue_job" if queue_job else "--load=base,web",
            "--log-level=warn",
            "--log-handler=werkzeug:INFO",
            "--log-handler=odoo.addons.queue_job:INFO",
            f"--logfile={self.log}",
            *extra,
        ]
        # a session of its own: the server, its workers and its job runner are killed together
        self.process = subprocess.Popen(command, env=env, start_new_session=True, cwd=ROOT)
        self.pids = set()

    def wait_ready(self, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/web/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"server {self.name} did not answer on port {self.port} (see {self.log})")

    def sample_pids(self):
        """Remember the processes of this server (to tell which server ran a job, by its worker pid)."""
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) == self.process.pid:  # its process group
                    self.pids.add(int(entry))

    def kill(self, sig=signal.SIGKILL):
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self):
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()
        time.sleep(1)
        self.kill()  # workers left behind


def odoo_script():
    """The servers' start script: odoo-bin, but for a websocket process that idles where gevent fails
    (bench/odoo_server.py). Not ``python3 -m odoo``: a server with workers starts its websocket process
    again as ``python3 <script> gevent``."""
    return os.path.join(ROOT, "bench", "odoo_server.py")


def odoo_cli(config, *args):
    subprocess.run([sys.executable, "-m", "odoo", "-c", config, "--log-level=warn", *args], check=True)


def psql(*args):
    return subprocess.run(["psql", "-d", "postgres", "-Atqc", *args], check=True, capture_output=True, text=True).stdout


# -----------------------------------------------------------------------------
# Database
# -----------------------------------------------------------------------------


def prepare_database(args, odoo):
    config = odoo.tools.config
    os.environ.update(
        PGHOST=config["db_host"] or "", PGPORT=str(config["db_port"] or 5432), PGUSER=config["db_user"] or ""
    )
    if psql(f"select 1 from pg_database where datname = '{DB}'").strip() == "1":
        odoo_cli(args.config, "-d", DB, "-u", "dunning_notices", "--stop-after-init")
    else:
        print(f"creating {DB} with {MODULES} (once)...", flush=True)
        odoo_cli(args.config, "-d", DB, "-i", MODULES, "--without-demo=all", "--stop-after-init")


def seed(env, count):
    """``count`` customers with an email and one invoice overdue at the as-of date; the accountant; the level."""
    from odoo import Command

    from odoo.addons.dunning_notices.compat import groups_field

    company = env.ref("base.main_company")
    company.email = company.email or "billing@bench.example.com"
    have = int(env["ir.config_parameter"].get_param(SEEDED_MARKER) or 0)
    if have < count:
        print(f"seeding {count - have} customers with an overdue invoice...", flush=True)
        partners = env["res.partner"].create(
            [
                {"name": f"Scale {index:05d}", "email": f"scale{index}@example.com", "is_company": True}
                for index in range(have, count)
            ]
        )
        invoices = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": date(2026, 6, 1),
                    "invoice_date_due": date(2026, 6, 2),
                    "invoice_line_ids": [
                        Command.create({"name": "Service", "quantity": 1, "price_unit": 100 + index % 50})
                    ],
                }
                for index, partner in enumerate(partners)
            ]
        )
        invoices.action_post()
        env["ir.config_parameter"].set_param(SEEDED_MARKER, str(count))
    accountant = env["res.users"].search([("login", "=", "scale_accountant")])
    if not accountant:
        accountant = env["res.users"].create(
            {
                "name": "Scale Accountant",
                "login": "scale_accountant",
                "email": "scale.accountant@bench.example.com",
                groups_field(env["res.users"]): [Command.set([env.ref("account.group_account_invoice").id])],
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
            }
        )
    level = env["dunning.level"].search([("name", "=", "Scale: all overdue")])
    if not level:
        level = env["dunning.level"].create(
            {
                "name": "Scale: all overdue",
                "min_days_overdue": 1,
                "report_id": env.ref("dunning_notices.action_report_dunning_notice").id,
                "mail_template_id": env.ref("dunning_notices.mail_template_dunning_level_1").id,
                "attach_notice_pdf": True,
            }
        )
    partners = env["res.partner"].search([("name", "=like", "Scale %"), ("is_company", "=", True)], order="name")
    return accountant, level, partners[:count]


def reset(env):
    """No notice, job or email of an earlier scenario (as superuser, bypassing the notices' guard)."""
    env.cr.execute("DELETE FROM dunning_notice")
    env.cr.execute("DELETE FROM queue_job WHERE method_name = '_job_process_notices'")
    env.cr.execute("DELETE FROM mail_mail")
    env.cr.commit()
    env.invalidate_all()


# -----------------------------------------------------------------------------
# A scenario
# -----------------------------------------------------------------------------


def run_scenario(name, args, registry, odoo):
    from odoo import api

    from odoo.addons.dunning_notices.compat import patch_server_wide_modules, server_wide_modules

    bridge_on = None  # queue_job server-wide in this process, for the scenarios of the bridge
    proxy_port, port_a, port_b = args.port, args.port + 1, args.port + 2
    two = name in ("two", "kill")
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        accountant, level, partners = seed(env, args.notices)
        reset(env)
        base_url = f"http://127.0.0.1:{proxy_port if two else port_a}"
        params = env["ir.config_parameter"]
        for key in ("web.base.url", "report.url"):
            params.set_param(key, base_url)
        params.set_param("web.base.url.freeze", "True")
        # a job's notices in one wkhtmltopdf call (up to dunning_notices.pdf_notices_per_call): the jobs at
        # once (the capacity) are the renders at once, as the cron's worker renders one call at a time
        params.set_param("dunning_notices_queue_job.job_size", str(args.job_size))
        message_floor = env["mail.message"].search([], order="id desc", limit=1).id
        env.cr.commit()

    proxy = None
    servers = []
    try:
        if two:
            proxy = RoundRobinProxy(proxy_port, [port_a, port_b])
            channels = f"root:{args.capacity},root.dunning:{args.capacity}"
            servers.append(Server(f"{name}_a", args, port_a, channels, proxy_port))
            servers.append(Server(f"{name}_b", args, port_b, "root:0", proxy_port))
        elif name == "cron":
            servers.append(Server(f"{name}_a", args, port_a, "root:0", port_a, queue_job=False))
        else:
            channels = f"root:{args.capacity},root.dunning:{args.capacity}"
            servers.append(Server(f"{name}_a", args, port_a, channels, port_a))
        for server in servers:
            server.wait_ready()
            server.sample_pids()

        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            uenv = api.Environment(cr, accountant.id, {"lang": "en_US", "tz": "UTC"})
            wizard = uenv["dunning.notice.send"].create(
                {
                    "level_id": level.id,
                    "date_mode": "custom",
                    "as_of_date": AS_OF,
                    "partner_ids": [(6, 0, partners.ids)],
                }
            )
            wizard.action_apply_filters()
            wizard.line_ids.write({"to_email": True, "to_print": True})
            # this process sends as a server with queue_job loaded server-wide would: the bridge is on
            # (off for the cron: the send triggers the cron, which the server's cron worker runs)
            if name != "cron":
                bridge_on = patch_server_wide_modules([*server_wide_modules(), "queue_job"])
                bridge_on.start()
            t_send = time.perf_counter()
            wizard.action_send()
            cr.commit()  # pylint: disable=invalid-commit
            t0 = time.perf_counter()
            notice_ids = wizard.notice_ids.ids
            print(f"  {name}: {len(notice_ids)} notices sent in {t0 - t_send:.1f} s; jobs running...", flush=True)

        killed = None
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            time.sleep(0.5)
            for server in servers:
                if server.process.poll() is None:
                    server.sample_pids()
            with registry.cursor() as cr:
                cr.execute("SELECT state, count(*) FROM dunning_notice GROUP BY state")
                states = dict(cr.fetchall())
                cr.execute(
                    "SELECT count(*) FROM queue_job WHERE method_name = '_job_process_notices' AND state IN %s",
                    [LIVE_JOB_STATES],
                )
                live_jobs = cr.fetchone()[0]
                if name == "kill" and not killed and states.get("done", 0) >= args.kill_at * len(notice_ids):
                    cr.execute(
                        "SELECT uuid, worker_pid FROM queue_job WHERE method_name = '_job_process_notices'"
                        " AND state = 'started'"
                    )
                    started = cr.fetchall()
                    servers[1].sample_pids()
                    servers[1].kill()
                    killed = {
                        "at_done": states.get("done", 0),
                        "at_s": time.perf_counter() - t0,
                        "running_on_b": [uuid for uuid, pid in started if pid in servers[1].pids],
                    }
                    print(
                        f"  kill: server B killed at {killed['at_s']:.1f} s, {killed['at_done']} notices done, "
                        f"{len(killed['running_on_b'])} of its jobs running",
                        flush=True,
                    )
            if not states.get("queued") and not live_jobs:
                break
        wall = time.perf_counter() - t0
        return collect(name, args, registry, odoo, notice_ids, message_floor, servers, wall, killed)
    finally:
        for server in servers:
            server.stop()
        if proxy:
            proxy.close()
        if bridge_on:
            bridge_on.stop()


def collect(name, args, registry, odoo, notice_ids, message_floor, servers, wall, killed):
    from odoo import api

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        notices = env["dunning.notice"].browse(notice_ids)
        states = Counter(notices.mapped("state"))
        subtype = env.ref("dunning_notices.mt_dunning_notice").id
        cr.execute(
            "SELECT res_id, count(*) FROM mail_message WHERE model = 'res.partner' AND id > %s AND subtype_id = %s"
            " AND res_id = ANY(%s) GROUP BY res_id",
            [message_floor, subtype, notices.partner_id.ids],
        )
        messages = dict(cr.fetchall())
        cr.execute(
            "SELECT n.id, count(m.id) FROM dunning_notice n LEFT JOIN mail_mail m ON m.mail_message_id = n.message_id"
            " WHERE n.id = ANY(%s) GROUP BY n.id",
            [notice_ids],
        )
        mails = dict(cr.fetchall())
        cr.execute(
            "SELECT count(*) FROM dunning_notice WHERE id = ANY(%s) AND pdf_attachment_id IS NOT NULL", [notice_ids]
        )
        pdfs = cr.fetchone()[0]
        cr.execute(
            "SELECT state, retry, exec_time, worker_pid, uuid,"
            " EXTRACT(EPOCH FROM date_started - date_enqueued) FROM queue_job"
            " WHERE method_name = '_job_process_notices'"
        )
        jobs = cr.fetchall()
    per_server = {
        server.name: sum(1 for job in jobs if job[3] in server.pids and job[0] == "done") for server in servers
    }
    exec_total = sum(job[2] or 0 for job in jobs if job[0] == "done")
    done = states.get("done", 0)
    result = {
        "scenario": name,
        "servers": len(servers),
        "notices": len(notice_ids),
        "wall s": round(wall, 1),
        "notices/s": round(done / wall, 2) if wall else 0,
        "notices done": done,
        "in error": states.get("error", 0),
        "still queued": states.get("queued", 0),
        "with PDF": pdfs,
        "customers with 1 message": sum(1 for count in messages.values() if count == 1),
        "customers with >1 message": sum(1 for count in messages.values() if count > 1),
        "notices with 1 mail.mail": sum(1 for count in mails.values() if count == 1),
        "notices with >1 mail.mail": sum(1 for count in mails.values() if count > 1),
        "jobs": len(jobs),
        "jobs done": sum(1 for job in jobs if job[0] == "done"),
        "jobs failed": sum(1 for job in jobs if job[0] == "failed"),
        # queue_job counts the first run as try 1
        "jobs retried": sum(1 for job in jobs if (job[1] or 0) > 1),
        "jobs done per server": per_server,
        "job exec s (sum)": round(exec_total, 1),
        "exec s per notice": round(exec_total / done, 3) if jobs and done else "-",
        "exec s per job (mean)": round(exec_total / len(jobs), 2) if jobs else "-",
        # the job slots' time not spent in a job: dispatch, HTTP, the runner's round trip, slots idle at the end
        "per-job overhead s": round((wall * args.capacity - exec_total) / len(jobs), 2) if jobs else "-",
    }
    if killed:
        requeued = {job[4]: job for job in jobs if job[4] in killed["running_on_b"]}
        result["killed"] = {
            "at s": round(killed["at_s"], 1),
            "notices done then": killed["at_done"],
            "jobs running on B then": len(killed["running_on_b"]),
            "those jobs now done, on a later try": sum(
                1 for job in requeued.values() if job[0] == "done" and (job[1] or 0) >= 2
            ),
        }
    return result


def main():
    args = parse_args()
    # each submodule by name: 19.0's "odoo" is a namespace package, whose submodules are not its attributes
    import odoo
    import odoo.modules.registry
    import odoo.tools

    os.makedirs(OUT, exist_ok=True)
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn", "--workers=0"])
    prepare_database(args, odoo)
    registry = odoo.modules.registry.Registry(DB)
    results = []
    for name in args.scenarios.split(","):
        print(f"scenario {name}...", flush=True)
        results.append(run_scenario(name.strip(), args, registry, odoo))
        print(f"  {results[-1]}", flush=True)
    print(
        f"\nScale-out: {args.notices} notices with PDF, jobs of {args.job_size}, {args.workers} HTTP workers a "
        f"server, capacity root.dunning:{args.capacity} over all servers, {os.cpu_count()} cores"
    )
    keys = [key for key in results[0] if key not in ("scenario", "killed")]
    print("| measure | " + " | ".join(result["scenario"] for result in results) + " |")
    print("|---|" + "---|" * len(results))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(result.get(key, "")) for result in results) + " |")
    for result in results:
        if "killed" in result:
            print(f"\nkill scenario: {result['killed']}")
    ok = all(
        result["notices done"] == result["notices"]
        and result["customers with >1 message"] == 0
        and result["notices with >1 mail.mail"] == 0
        and result["notices with 1 mail.mail"] == result["notices"]
        for result in results
    )
    print("\nevery notice processed once: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
