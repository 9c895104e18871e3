"""Rendering PDFs of many dunning notices: wkhtmltopdf processes on threads while the batch goes on,
several notices per call with the build of patched Qt, split per notice afterwards."""

import io
import logging
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from odoo import api
from odoo.modules.registry import Registry
from odoo.tools.misc import find_in_path
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

_logger = logging.getLogger(__name__)

_wkhtmltopdf_patched = None


def get_future_result(future):
    """The result of a PDF rendering started earlier; None (render again) when it failed."""
    if future is None:
        return None
    if future.exception():
        _logger.info("A dunning notice PDF failed to render in batch", exc_info=future.exception())
        return None
    return future.result()


def run_wkhtmltopdf(env, bodies, run_kwargs):
    return env["ir.actions.report"]._run_wkhtmltopdf(bodies, **run_kwargs)


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


class RenderingPool:
    """Threads running ``func(env, *args)`` each with a cursor and environment of their own, for
    renderings that wait on wkhtmltopdf processes while the caller goes on. Their work is read-only:
    the cursor is rolled back. Closing it lets the submitted work finish; their futures carry it.
    In a test, whose data no other cursor sees, the work runs at once in the caller's environment."""

    def __init__(self, env, workers):
        self._env = env
        self._executor = None
        if not getattr(threading.current_thread(), "testing", False):
            self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dunning_pdf")

    def submit(self, func, *args):
        if self._executor:
            return self._executor.submit(self._run, func, *args)
        future = Future()
        try:
            future.set_result(func(self._env, *args))
        except Exception as error:  # noqa: BLE001 - handed over with the future, as a thread would
            future.set_exception(error)
        return future

    def _run(self, func, *args):
        env = self._env
        with Registry(env.cr.dbname).cursor() as cr:
            try:
                return func(api.Environment(cr, env.uid, env.context), *args)
            finally:
                cr.rollback()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._executor:
            self._executor.shutdown(wait=False)


def is_wkhtmltopdf_patched():
    """Only the wkhtmltopdf build with patched Qt keeps the outlines that let Odoo split a PDF of
    many notices per notice; with the others each notice needs a call of its own."""
    global _wkhtmltopdf_patched  # noqa: PLW0603
    if _wkhtmltopdf_patched is None:
        try:
            out = subprocess.run(
                [find_in_path("wkhtmltopdf"), "--version"], capture_output=True, check=False, timeout=10
            ).stdout
            _wkhtmltopdf_patched = b"patched qt" in out.lower()
        except (OSError, subprocess.SubprocessError):
            _wkhtmltopdf_patched = False
    return _wkhtmltopdf_patched
