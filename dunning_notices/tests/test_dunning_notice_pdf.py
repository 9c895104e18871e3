import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from unittest.mock import patch

import psutil
from markupsafe import Markup
from reportlab.pdfgen import canvas

from odoo.tests import Form, tagged
from odoo.tools.pdf import PdfFileReader

from odoo.addons.dunning_notices.compat import wkhtmltopdf_first_on_path
from odoo.addons.dunning_notices.models.dunning_notice_pdf import DunningNotice
from odoo.addons.dunning_notices.tools import pdf_rendering
from odoo.addons.dunning_notices.tools.pdf_rendering import (
    count_letterheads,
    is_wkhtmltopdf_patched,
    split_pdf_per_document,
)

from .common import DunningTestCommon


def _pdf_of_pages(texts):
    stream = io.BytesIO()
    pdf = canvas.Canvas(stream)
    for text in texts:
        pdf.drawString(100, 700, text)
        pdf.showPage()
    pdf.save()
    return stream.getvalue()


def _pdf_text(content):
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def _without_links(html):
    return re.sub(r"<link [^>]*>", "", html)


# A stand-in for wkhtmltopdf (a process named wkhtmltopdf, as the real one): it prints the PDF it is
# given for each body, fails on a body holding FAIL and hangs on a body holding HANG.
FAKE_WKHTMLTOPDF = """#!{python}
import os, shutil, sys, time
args = sys.argv[1:]
if "--version" in args:
    print("wkhtmltopdf 0.12.6 (stand-in)")
    sys.exit(0)
text = "".join(open(a).read() for a in args if os.path.basename(a).startswith("report.body.tmp."))
if {hang!r} in text:
    time.sleep(120)
if {fail!r} in text:
    sys.stderr.write("the stand-in engine cannot print this notice")
    sys.exit(2)
shutil.copy({pdf!r}, args[-1])
"""

PDF_MODULE = "odoo.addons.dunning_notices.models.dunning_notice_pdf"


@tagged("post_install", "-at_install")
class TestDunningNoticePdf(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))
        cls.dan_inv = cls._invoice(cls.dan, date(2026, 6, 1), 50, due=date(2026, 6, 5))

    def _print_all(self, wizard):
        wizard.line_ids.write({"to_email": False, "to_print": True})
        return wizard.with_context(force_report_rendering=True)

    def test_batch_renders_real_pdfs_of_notice_and_invoices(self):
        """With wkhtmltopdf itself (tests otherwise render reports as HTML): the notice PDF and the PDF of
        an invoice that has none come from the batch rendering, stored once and attached to the email."""
        self.level_early.attach_notice_pdf = True
        form = self._wizard_form()
        form.attach_invoices = True
        wizard = self._apply(form)
        wizard.line_ids.write({"to_email": False, "to_print": False})
        wizard.line_ids.filtered(lambda line: line.partner_id == self.alpha).to_email = True
        started = {}
        original_notices = DunningNotice._start_pdf_rendering
        original_invoices = DunningNotice._start_invoice_pdf_rendering

        def spy_notices(notices, pool):
            started["notices"] = original_notices(notices, pool)
            return started["notices"]

        def spy_invoices(notices, pool):
            started["invoices"] = original_invoices(notices, pool)
            return started["invoices"]

        with (
            patch.object(DunningNotice, "_start_pdf_rendering", spy_notices),
            patch.object(DunningNotice, "_start_invoice_pdf_rendering", spy_invoices),
            patch.object(DunningNotice, "_render_pdf_alone", side_effect=AssertionError("rendered alone")),
            self.mock_mail_gateway(),
        ):
            wizard.with_context(force_report_rendering=True).action_send()
        notice = wizard.notice_ids
        self.assertEqual(notice.state, "done", notice.error_message)
        self.assertEqual(list(started["notices"]), notice.ids)
        self.assertEqual(list(started["invoices"]), self.alpha_inv.ids)
        self.assertTrue(notice.pdf_attachment_id.raw.startswith(b"%PDF"))
        self.assertTrue(notice.invoice_attachment_ids.raw.startswith(b"%PDF"))
        self.assertEqual(notice.invoice_attachment_ids.raw, started["invoices"][self.alpha_inv.id].result())
        self.assertEqual(notice.pdf_attachment_id.raw, started["notices"][notice.id].result())
        mail = self.env["mail.mail"].search([("mail_message_id", "=", notice.message_id.id)])
        self.assertEqual(
            sorted(mail.attachment_ids.mapped("name")),
            sorted([notice._get_pdf_filename(), notice.invoice_attachment_ids.name]),
        )

    def test_patched_wkhtmltopdf_prints_several_notices_per_call(self):
        """With the wkhtmltopdf of patched Qt, one call prints several notices (here: a stand-in printing
        a page per document, as the real one does for one-page notices); each notice gets its page."""
        more = self.env["res.partner"].create(
            [{"name": f"Patched {i}", "email": f"p{i}@example.com"} for i in range(3)]
        )
        for partner in more:
            self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2))
        self.level_early.attach_notice_pdf = True
        wizard = self._apply(self._wizard_form())
        wizard.line_ids.write({"to_email": False, "to_print": True})
        calls = []

        def fake_wkhtmltopdf(report, bodies, **kwargs):
            # each call gets the letterheads of its own bodies: one header and one footer each
            calls.append((len(bodies), count_letterheads(kwargs["header"]), count_letterheads(kwargs["footer"])))
            return _pdf_of_pages([f"notice {index}" for index in range(len(bodies))])

        report_class = type(self.env["ir.actions.report"])
        with (
            patch(f"{PDF_MODULE}.is_wkhtmltopdf_patched", return_value=True),
            patch.object(report_class, "_run_wkhtmltopdf", fake_wkhtmltopdf),
            patch.object(DunningNotice, "_render_pdf_alone", side_effect=AssertionError("rendered alone")),
        ):
            wizard.with_context(force_report_rendering=True).action_send()
            self._run_queue(force_report_rendering=True)  # a Print run renders in the background
        notices = wizard.notice_ids
        self.assertEqual(set(notices.mapped("state")), {"done"})
        self.assertEqual(sum(count for count, _headers, _footers in calls), len(notices))
        self.assertLess(len(calls), len(notices), "several notices per call")
        self.assertEqual([(count, count, count) for count, _headers, _footers in calls], calls)
        for notice in notices:
            self.assertEqual(len(PdfFileReader(io.BytesIO(notice.pdf_attachment_id.raw)).pages), 1)

    def testsplit_pdf_per_document(self):
        three_pages = _pdf_of_pages(["a", "b", "c"])
        parts = split_pdf_per_document(three_pages, 3)
        self.assertEqual([len(PdfFileReader(io.BytesIO(part)).pages) for part in parts], [1, 1, 1])
        # more pages than documents and no outline to tell where each starts: not split
        self.assertIsNone(split_pdf_per_document(three_pages, 2))

    def test_notice_pdf_does_not_wait_for_scripts(self):
        """wkhtmltopdf waits Odoo's report.print_delay (1 s) for scripts; a notice runs none, so its
        call does not wait (the parameter of the addon can set a delay back), other reports still do."""
        report_model = self.env["ir.actions.report"]
        report_class = type(report_model)
        original = report_class._build_wkhtmltopdf_args
        delays = []

        def spy(report, *args, **kwargs):
            command_args = original(report, *args, **kwargs)
            delays.append(command_args[command_args.index("--javascript-delay") + 1])
            return command_args

        body = Markup("<html><body><p>Notice</p></body></html>")
        notice_report = self.env.ref("dunning_notices.action_report_dunning_notice")
        with patch.object(report_class, "_build_wkhtmltopdf_args", spy):
            pdf = report_model._run_wkhtmltopdf([body], report_ref=notice_report.id)
            report_model._run_wkhtmltopdf([body], report_ref="account.account_invoices")
            self.env["ir.config_parameter"].set_param("dunning_notices.report_print_delay", "250")
            report_model._run_wkhtmltopdf([body], report_ref=notice_report.id)
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(delays, ["0", "1000", "250"])

    def test_real_pdf_rendering_with_wkhtmltopdf(self):
        """wkhtmltopdf for real, in the background: the Print run returns with its notices queued, the
        queue gives every notice a PDF of its own (several per call where the engine splits its output,
        else one process per notice on all cores), and the run downloads them as stored, merged into one
        PDF without rendering them again. A customer's Chinese name prints with a font that has its
        glyphs (fonts-noto-cjk, installed by ./dev setup), not as boxes."""
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not installed")
        self.dan.name = "北京贸易有限公司"

        def edit(line):
            line.to_print = True
            line.to_email = False

        form = self._wizard_form()
        wizard = self._apply(form)
        with Form(wizard) as wizard_form:
            for index in range(len(wizard_form.line_ids)):
                with wizard_form.line_ids.edit(index) as line:
                    edit(line)
        wizard = wizard.with_context(force_report_rendering=True)
        action = wizard.action_send()
        notices = wizard.notice_ids
        self.assertEqual(len(notices), 3)
        self.assertEqual(set(notices.mapped("state")), {"queued"})
        self.assertFalse(notices.pdf_attachment_id, "nothing rendered in the request")
        self.assertEqual(action["params"]["next"]["res_id"], notices.run_id.id, "the notification opens the run")
        self.assertEqual(self._run_queue(force_report_rendering=True), notices)
        for notice in notices:
            self.assertTrue(notice.pdf_attachment_id.raw.startswith(b"%PDF"), notice.name)
            self.assertEqual(notice.pdf_attachment_id.mimetype, "application/pdf")
        self.assertEqual(len(set(notices.pdf_attachment_id.mapped("checksum"))), 3, "one document per notice")
        download = notices.run_id.with_user(self.accountant).action_download_letters()
        self.assertEqual(download["type"], "ir.actions.report")
        self.assertEqual(sorted(download["context"]["active_ids"]), sorted(notices.ids))
        report = self.env["ir.actions.report"].with_user(self.accountant).with_context(force_report_rendering=True)
        with patch.object(type(report), "_run_wkhtmltopdf", side_effect=AssertionError("rendered again")):
            merged, _type = report._render_qweb_pdf(download["report_name"], download["context"]["active_ids"])
        pages = sum(len(PdfFileReader(io.BytesIO(n.pdf_attachment_id.raw)).pages) for n in notices)
        self.assertEqual(len(PdfFileReader(io.BytesIO(merged)).pages), pages)
        # the Chinese name in a CJK font, extracted as text (no boxes); Debian's build prints the text as
        # outlines, without fonts or text to check
        if is_wkhtmltopdf_patched():
            dan_pdf = notices.filtered(lambda n: n.partner_id == self.dan).pdf_attachment_id.raw
            self.assertIn("北京贸易有限公司", _pdf_text(dan_pdf).replace(" ", ""))
            with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
                file.write(dan_pdf)
                file.flush()
                fonts = subprocess.run(["pdffonts", file.name], capture_output=True, check=True, text=True).stdout
            self.assertIn("CJK", fonts, "a CJK font (fonts-noto-cjk) prints the name")

    # -------------------------------------------------------------------------
    # Letterheads: each notice carries its own, whatever the engine
    # -------------------------------------------------------------------------

    def _customers_in_three_languages(self):
        """Three customers in English, French and German; the company's tagline (header) and footer
        translated in each, so that a notice's letterhead tells whose it is."""
        for code in ("fr_FR", "de_DE"):
            self.env["res.lang"]._activate_lang(code)
        letterheads = {
            "en_US": ("Tagline English", "Footer English"),
            "fr_FR": ("Devise francaise", "Pied de page francais"),
            "de_DE": ("Motto deutsch", "Fusszeile deutsch"),
        }
        english_header, english_footer = letterheads["en_US"]
        self.company.write({"report_header": english_header, "report_footer": english_footer})
        for field, english, index in (("report_header", english_header, 0), ("report_footer", english_footer, 1)):
            translations = {lang: {english: texts[index]} for lang, texts in letterheads.items() if lang != "en_US"}
            self.company.update_field_translations(field, translations)  # the fields translate by terms
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {lang}", "lang": lang, "email": f"{lang}@example.com"} for lang in letterheads]
        )
        for partner in partners:
            self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2))
        wizard = self._apply(self._wizard_form())
        wizard.line_ids.write({"to_email": False, "to_print": False})
        wizard.line_ids.filtered(lambda line: line.partner_id in partners).to_print = True
        return wizard.with_context(force_report_rendering=True), letterheads

    def _assert_own_letterheads(self, notices, letterheads, calls, with_footer=True):
        """Each wkhtmltopdf call got the headers and footers of its own notices, in the order of its
        bodies; each notice's PDF holds its number, its customer and (where the engine prints
        letterheads) its language's footer, nothing of the other notices."""
        self.assertEqual(len(notices), 3)
        for bodies, run_kwargs in calls:
            call_notices = [notices.filtered(lambda n, body=body: f">{n.name}<" in body) for body in bodies]
            self.assertEqual([len(notice) for notice in call_notices], [1] * len(bodies))
            for kind, index in (("header", 0), ("footer", 1)):
                html = run_kwargs[kind]
                self.assertEqual(count_letterheads(html), len(bodies))
                texts = [letterheads[notice.partner_id.lang][index] for notice in call_notices]
                positions = [html.find(text) for text in texts]
                self.assertNotIn(-1, positions, f"the {kind} of each notice of the call")
                self.assertEqual(positions, sorted(positions), f"the {kind}s in the order of the bodies")
                others = {texts[index] for texts in letterheads.values()} - set(texts)
                self.assertFalse([text for text in others if text in html], f"no other notice's {kind}")
        for notice in notices:
            self.assertEqual(notice.state, "done", notice.error_message)
            text = _pdf_text(notice.pdf_attachment_id.raw)
            self.assertIn(notice.name, text)
            self.assertIn(notice.partner_id.name, text)
            for other in notices - notice:
                self.assertNotIn(other.name, text)
                self.assertNotIn(other.partner_id.name, text)
            if with_footer:
                for lang, (_header, footer) in letterheads.items():
                    check = self.assertIn if lang == notice.partner_id.lang else self.assertNotIn
                    check(footer, text, f"{notice.name} ({notice.partner_id.lang})")

    def test_patched_engine_prints_three_languages_in_one_call_with_their_letterheads(self):
        """The build of patched Qt prints a chunk of notices of three customers in three languages in
        one call; split per notice, each page carries its own number, customer, header and footer."""
        if not is_wkhtmltopdf_patched():
            if os.environ.get("DUNNING_WKHTMLTOPDF") == "patched":
                self.fail("./dev test asked for the patched wkhtmltopdf, the one on the PATH is not")
            self.skipTest(
                "the wkhtmltopdf on the PATH is not the build of patched Qt (./dev setup fetches it and "
                "./dev test puts it first on the PATH unless DUNNING_WKHTMLTOPDF=debian)"
            )
        wizard, letterheads = self._customers_in_three_languages()
        self.env["ir.config_parameter"].set_param("dunning_notices.pdf_workers", "1")  # one thread: one call
        calls = []

        def engine(env, bodies, run_kwargs, paperformat_id=False):
            # The stylesheets come from the Odoo server, which a test does not run: wkhtmltopdf 0.12.3
            # drops the letterheads of pages whose links fail to load, so the test leaves them out.
            calls.append((bodies, run_kwargs))
            bodies = [_without_links(body) for body in bodies]
            run_kwargs = {**run_kwargs, "header": _without_links(run_kwargs["header"])}
            run_kwargs["footer"] = _without_links(run_kwargs["footer"])
            return pdf_rendering.run_wkhtmltopdf(env, bodies, run_kwargs, paperformat_id)

        with (
            patch(f"{PDF_MODULE}.run_wkhtmltopdf", engine),
            patch.object(DunningNotice, "_render_pdf_alone", side_effect=AssertionError("rendered alone")),
        ):
            wizard.action_send()
            self._run_queue(force_report_rendering=True)  # a Print run renders in the background
        self.assertEqual([len(bodies) for bodies, _kwargs in calls], [3], "one call for the 3 notices")
        self._assert_own_letterheads(wizard.notice_ids, letterheads, calls)

    def test_debian_engine_prints_each_notice_alone_with_its_own_letterhead(self):
        """Debian's build (unpatched Qt) is a supported fallback: a call per notice, each given the
        letterhead of its own notice (which that build drops) and printing its own notice."""
        debian = "/usr/bin/wkhtmltopdf"
        if not os.access(debian, os.X_OK):
            self.skipTest(f"no Debian wkhtmltopdf at {debian}")
        wizard, letterheads = self._customers_in_three_languages()
        folder = tempfile.mkdtemp(prefix="dunning_debian_")  # not /usr/bin first on the PATH: it has more
        self.addCleanup(shutil.rmtree, folder)
        os.symlink(debian, os.path.join(folder, "wkhtmltopdf"))
        with (
            wkhtmltopdf_first_on_path(folder),
            patch(f"{PDF_MODULE}.run_wkhtmltopdf", wraps=pdf_rendering.run_wkhtmltopdf) as engine,
            patch.object(DunningNotice, "_render_pdf_alone", side_effect=AssertionError("rendered alone")),
        ):
            if is_wkhtmltopdf_patched():
                self.skipTest(f"{debian} is a build of patched Qt, not Debian's")
            wizard.action_send()
            self._run_queue(force_report_rendering=True)  # a Print run renders in the background
        calls = [(call.args[1], call.args[2]) for call in engine.call_args_list]
        self.assertEqual([len(bodies) for bodies, _kwargs in calls], [1, 1, 1], "one call per notice")
        self._assert_own_letterheads(wizard.notice_ids, letterheads, calls, with_footer=False)

    # -------------------------------------------------------------------------
    # A queue that cannot be blocked; the rendering pool
    # -------------------------------------------------------------------------

    def _stand_in_engine(self, hang, fail):
        folder = tempfile.mkdtemp(prefix="dunning_engine_")
        self.addCleanup(shutil.rmtree, folder)
        page = Path(folder, "page.pdf")
        page.write_bytes(_pdf_of_pages(["a dunning notice"]))
        script = Path(folder, "wkhtmltopdf")
        script.write_text(FAKE_WKHTMLTOPDF.format(python=sys.executable, hang=hang, fail=fail, pdf=str(page)))
        script.chmod(0o755)
        return folder

    def test_queue_batch_goes_on_past_a_failed_snapshot_a_failed_pdf_and_a_hung_engine(self):
        """A queued batch of 30 notices: notice 7 fails in its snapshot, notice 12 in its PDF, notice 20
        hangs in wkhtmltopdf (a stand-in engine). The hung process is killed at the timeout, the 3 are
        in error with readable messages, the 27 others done, the cron call returns and the next call
        takes none of them again."""
        customers = self.env["res.partner"].create(
            [{"name": f"Queue Customer {index:02d}", "email": f"q{index}@example.com"} for index in range(1, 31)]
        )
        invoices = [self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2)) for partner in customers]
        wizard = self._apply(self._wizard_form())
        wizard.line_ids.write({"to_email": False, "to_print": False})
        wizard.line_ids.filtered(lambda line: line.partner_id in customers).to_print = True
        wizard.action_send()
        notices = wizard.notice_ids
        self.assertEqual(len(notices), 30)
        self.assertEqual(set(notices.mapped("state")), {"queued"}, "more than 20 notices go to the queue")
        by_customer = {notice.partner_id: notice for notice in notices}
        seventh, twelfth, twentieth = (by_customer[customers[index - 1]] for index in (7, 12, 20))
        self.env["ir.config_parameter"].set_param("dunning_notices.pdf_timeout", "2")
        engine = self._stand_in_engine(hang=f">{twentieth.name}<", fail=f">{twelfth.name}<")
        line_class = type(self.env["dunning.notice.line"])
        original_snapshot = line_class._prepare_vals_from_move_line

        def snapshot(line_model, item, days_overdue):
            if item.move_id == invoices[6]:
                raise ValueError("this item cannot be recorded")
            return original_snapshot(line_model, item, days_overdue)

        queue = self.env["dunning.notice"].with_context(force_report_rendering=True)
        start = time.monotonic()
        with (
            wkhtmltopdf_first_on_path(engine),
            patch(f"{PDF_MODULE}.is_wkhtmltopdf_patched", return_value=False),
            patch.object(line_class, "_prepare_vals_from_move_line", snapshot),
        ):
            taken = queue._cron_process_queue(batch_size=50)
            elapsed = time.monotonic() - start
            self.assertFalse(queue._cron_process_queue(batch_size=50), "nothing of the batch is taken again")
        failed = seventh | twelfth | twentieth
        self.assertEqual(taken, notices)
        self.assertEqual(notices.filtered(lambda n: n.state == "done"), notices - failed)
        self.assertEqual(failed.mapped("state"), ["error"] * 3)
        self.assertIn("this item cannot be recorded", seventh.error_message)
        self.assertIn("the stand-in engine cannot print this notice", twelfth.error_message)
        self.assertEqual(
            twentieth.error_message,
            f"The PDF of notice {twentieth.name} took longer than 2 s to render and was stopped.",
        )
        self.assertLess(elapsed, 60, "the hung engine was stopped, not waited for (it sleeps 120 s)")
        self.assertFalse(
            [p for p in psutil.Process().children() if p.name() == "wkhtmltopdf"], "no wkhtmltopdf left running"
        )
        for notice in notices - failed:
            self.assertTrue(notice.pdf_attachment_id.raw.startswith(b"%PDF"), notice.name)

    def test_pool_size_from_parameter_and_shut_down_with_the_batch(self):
        """The notice PDFs render on as many threads as the parameter says (default: the cores Odoo may
        use, at most 4), and the threads are stopped when the batch ends."""
        self.assertEqual(pdf_rendering.default_workers(), min(len(os.sched_getaffinity(0)), 4))
        more = self.env["res.partner"].create(
            [{"name": f"Pool {i}", "email": f"pool{i}@example.com"} for i in range(4)]
        )
        for partner in more:
            self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2))
        self.env["ir.config_parameter"].set_param("dunning_notices.pdf_workers", "3")
        wizard = self._print_all(self._apply(self._wizard_form()))
        executors = []

        def spy_executor(*args, **kwargs):
            executors.append(ThreadPoolExecutor(*args, **kwargs))
            return executors[-1]

        def fake_wkhtmltopdf(report, bodies, **kwargs):
            return _pdf_of_pages(["notice"] * len(bodies))

        report_class = type(self.env["ir.actions.report"])
        with (
            patch.object(pdf_rendering, "ThreadPoolExecutor", spy_executor),
            patch(f"{PDF_MODULE}.is_wkhtmltopdf_patched", return_value=False),
            patch.object(report_class, "_run_wkhtmltopdf", fake_wkhtmltopdf),
            patch.object(DunningNotice, "_render_pdf_alone", side_effect=AssertionError("rendered alone")),
        ):
            wizard.action_send()
            self._run_queue(force_report_rendering=True)  # a Print run renders in the background
        self.assertEqual(set(wizard.notice_ids.mapped("state")), {"done"})
        self.assertGreater(len(wizard.notice_ids), 3)
        notice_pool = executors[0]  # the invoice PDFs render at once in a test: no thread
        self.assertEqual(len(executors), 1)
        self.assertEqual(notice_pool._max_workers, 3)
        self.assertTrue(notice_pool._shutdown)
        self.assertFalse([thread for thread in notice_pool._threads if thread.is_alive()], "threads stopped")
