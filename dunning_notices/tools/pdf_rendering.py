"""Rendering PDFs of many dunning notices: wkhtmltopdf processes on threads while the batch goes on,
several notices per call with the build of patched Qt, split per notice afterwards. Every wait is
bounded: a rendering that runs longer than the timeout is stopped (its wkhtmltopdf killed)."""

import io
import logging
import os
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait

import lxml.html
import psutil

from odoo import api
from odoo.modules.registry import Registry
from odoo.tools.misc import find_in_path
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from ..models.ir_actions_report import PAPERFORMAT_CONTEXT_KEY

_logger = logging.getLogger(__name__)

# Seconds between two looks for stuck renderings while waiting for a PDF.
POLL_SECONDS = 0.5
# Seconds a stopped rendering is given to end, its wkhtmltopdf killed, before the pool leaves it.
STOP_GRACE_SECONDS = 5
# The containers of Odoo's minimal layout holding one header (footer) per document of a call.
LETTERHEAD_IDS = ("minimal_layout_report_headers", "minimal_layout_report_footers")

_wkhtmltopdf_patched = {}


class RenderingTimeout(Exception):
    """A rendering ran longer than the pool's timeout and was stopped."""


def default_workers():
    """The cores Odoo may use, at most 4: rendering threads each drive a wkhtmltopdf process."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def kill_wkhtmltopdf_started_before(moment):
    """Kill the wkhtmltopdf processes of this process started before ``moment`` (``time.time()``):
    the renderings that outlived the timeout. Returns their pids."""
    killed = []
    for child in psutil.Process().children():
        try:
            if child.name() == "wkhtmltopdf" and child.create_time() < moment:
                child.kill()
                killed.append(child.pid)
        except psutil.Error:  # ended meanwhile
            continue
    return killed


def run_wkhtmltopdf(env, bodies, run_kwargs, paperformat_id=False):
    """One wkhtmltopdf call of dunning notices, on the paper format the batch resolved."""
    report_model = env["ir.actions.report"].with_context(**{PAPERFORMAT_CONTEXT_KEY: paperformat_id})
    return report_model._run_wkhtmltopdf(bodies, **run_kwargs)


def keep_letterheads(layout_html, start, stop):
    """The header (or footer) HTML that ``ir.actions.report._prepare_html`` made for several documents,
    keeping only the letterheads of documents ``start`` to ``stop`` (excluded), in order: Odoo's
    minimal layout shows on a page the letterhead whose index is that of the page's body in its
    wkhtmltopdf call, so a call must get the letterheads of its own bodies only."""
    root = lxml.html.document_fromstring(layout_html)
    for container in root.xpath("//div[@id=$a or @id=$b]", a=LETTERHEAD_IDS[0], b=LETTERHEAD_IDS[1]):
        children = list(container)
        for child in children[:start] + children[stop:]:
            container.remove(child)
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def count_letterheads(layout_html):
    """How many letterheads (one per document) the header or footer HTML of a report holds."""
    root = lxml.html.document_fromstring(layout_html)
    containers = root.xpath("//div[@id=$a or @id=$b]", a=LETTERHEAD_IDS[0], b=LETTERHEAD_IDS[1])
    return len(containers[0]) if containers else 0


def split_pdf_per_document(content, count):
    """The PDF of ``count`` documents printed in one wkhtmltopdf call, split per document the way
    ``ir.actions.report`` splits a report of several records: a page each, else at the top-level
    outlines (the patched Qt build writes them); None when it cannot be split."""
    reader = PdfFileReader(io.BytesIO(content))
    num_pages = len(reader.pages)
    if num_pages == count:
        starts = list(range(count))
    else:
        root = reader.trailer["/Root"]
        if "/Outlines" not in root or "/First" not in root["/Outlines"]:
            return None
        starts, node = [], root["/Outlines"]["/First"]
        while True:
            starts.append(root["/Dests"][node["/Dest"]][0])
            if "/Next" not in node:
                break
            node = node["/Next"]
        starts = sorted(set(starts))
        if len(starts) != count or starts[0] != 0:
            return None
    parts = []
    for start, end in zip(starts, [*starts[1:], num_pages], strict=True):
        writer = PdfFileWriter()
        add_page = getattr(writer, "add_page", None) or writer.addPage  # PyPDF2 2.x / 1.x
        for page in range(start, end):
            add_page(reader.pages[page])
        stream = io.BytesIO()
        writer.write(stream)
        parts.append(stream.getvalue())
    return parts


def split_into(parts, pdf):
    """Done callback of a wkhtmltopdf call of several notices: resolve each notice's future."""
    try:
        contents = split_pdf_per_document(pdf.result(), len(parts))
    except Exception as error:  # noqa: BLE001 - handed over with each notice's future
        contents = error
    if not isinstance(contents, list):  # the notices are rendered alone later
        error = contents or ValueError("the PDF of several dunning notices cannot be split per notice")
        for part in parts:
            part.set_exception(error)
        return
    for part, content in zip(parts, contents, strict=True):
        part.set_result(content)


def render_invoice_pdf(env, invoice_id):
    return env["ir.actions.report"]._render_qweb_pdf("account.account_invoices", [invoice_id])[0]


class _Rendering:
    """One piece of work of a pool: when it started (``time.time()``, None while queued) and
    whether it was stopped for running too long."""

    __slots__ = ("future", "started_at", "stopped_at")

    def __init__(self):
        self.future = None
        self.started_at = None
        self.stopped_at = None


class RenderingPool:
    """``workers`` threads running ``func(env, *args)`` each with a cursor and environment of their own,
    for renderings that wait on wkhtmltopdf processes while the caller goes on. Their work is
    read-only: the cursor is rolled back. ``result(future)`` waits at most ``timeout`` seconds of
    rendering; a rendering running longer is stopped: its wkhtmltopdf is killed and its waiters get
    ``RenderingTimeout``. Closing the pool (leaving its ``with``) cancels the work not started, lets the
    running work end (within the timeout) and stops the threads.

    ``inline``: run the work at once in the caller's environment instead, as tests need for work that
    reads their data, which no other cursor sees (default: in a test thread)."""

    def __init__(self, env, workers, timeout, inline=None):
        self._env = env
        self.workers = workers
        self.timeout = timeout
        self._renderings = []
        self._executor = None
        if inline is None:
            inline = getattr(threading.current_thread(), "testing", False)
        if not inline:
            self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dunning_pdf")

    def submit(self, func, *args):
        """A Future of ``func(env, *args)``; ``link(future)`` ties other futures to its rendering."""
        if not self._executor:
            future = Future()
            try:
                future.set_result(func(self._env, *args))
            except Exception as error:  # noqa: BLE001 - handed over with the future, as a thread would
                future.set_exception(error)
            return future
        rendering = _Rendering()
        rendering.future = self._executor.submit(self._run, rendering, func, *args)
        rendering.future.rendering = rendering
        self._renderings.append(rendering)
        return rendering.future

    @staticmethod
    def link(future, derived):
        """``derived`` (a future resolved from ``future``) times out with ``future``'s rendering."""
        derived.rendering = getattr(future, "rendering", None)
        return derived

    def _run(self, rendering, func, *args):
        rendering.started_at = time.time()
        env = self._env
        with Registry(env.cr.dbname).cursor() as cr:
            try:
                return func(api.Environment(cr, env.uid, env.context), *args)
            finally:
                cr.rollback()

    def result(self, future):
        """The result of ``future`` (its error raised); ``RenderingTimeout`` when its rendering ran
        longer than the timeout, then stopped. Any wait also stops the other stuck renderings, so that
        work queued behind them gets a thread."""
        rendering = getattr(future, "rendering", None)
        while True:
            done = future.done() or bool(wait([future], timeout=POLL_SECONDS).done)
            if done and not future.cancelled() and future.exception() is None:
                return future.result()
            if rendering is not None and rendering.stopped_at is not None:
                raise RenderingTimeout()
            if done:
                return future.result()
            if rendering is not None and rendering.started_at is None and self._threads_all_stuck():
                raise RenderingTimeout()  # it would never start
            self.stop_stuck()

    def _threads_all_stuck(self):
        stuck = [r for r in self._renderings if r.stopped_at is not None and not r.future.done()]
        return len(stuck) >= self.workers and time.time() - max(r.stopped_at for r in stuck) > STOP_GRACE_SECONDS

    def stop_stuck(self):
        """Stop the renderings running for longer than the timeout: kill the wkhtmltopdf processes
        started before the timeout (a stuck rendering's, or a stopped one's still running)."""
        now = time.time()
        running = [r for r in self._renderings if r.started_at is not None and not r.future.done()]
        stuck = [r for r in running if r.stopped_at is None and now - r.started_at >= self.timeout]
        for rendering in stuck:
            rendering.stopped_at = now
        if stuck or any(r.stopped_at is not None for r in running):
            killed = kill_wkhtmltopdf_started_before(now - self.timeout)
            if stuck:
                _logger.warning(
                    "%s PDF rendering(s) ran longer than %s s and were stopped (killed wkhtmltopdf: %s)",
                    len(stuck),
                    self.timeout,
                    killed,
                )

    def close(self):
        if not self._executor:
            return
        self._executor.shutdown(wait=False, cancel_futures=True)
        left = []
        while running := [r for r in self._renderings if not r.future.done()]:
            stopped = [r.stopped_at for r in running if r.stopped_at is not None]
            if len(stopped) == len(running) and time.time() - min(stopped) > STOP_GRACE_SECONDS:
                left = running
                break
            wait([r.future for r in running], timeout=POLL_SECONDS)
            self.stop_stuck()
        if left:  # cannot happen with wkhtmltopdf, which dies when killed: do not hang the batch on them
            _logger.error("%s stopped PDF rendering(s) did not end; leaving their threads", len(left))
        self._executor.shutdown(wait=not left)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def is_wkhtmltopdf_patched():
    """Only the wkhtmltopdf build with patched Qt keeps the outlines that let Odoo split a PDF of
    many notices per notice; with the others each notice needs a call of its own. Asked of the
    binary Odoo runs (the first ``wkhtmltopdf`` on the PATH), once per binary."""
    binary = find_in_path("wkhtmltopdf")
    if binary not in _wkhtmltopdf_patched:
        try:
            out = subprocess.run([binary, "--version"], capture_output=True, check=False, timeout=10).stdout
            _wkhtmltopdf_patched[binary] = b"patched qt" in out.lower()
        except (OSError, TypeError, subprocess.SubprocessError):
            _wkhtmltopdf_patched[binary] = False
    return _wkhtmltopdf_patched[binary]
