import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from unittest.mock import patch

import lxml.html
import psutil
from reportlab.pdfgen import canvas

from odoo.tests import Form, tagged
from odoo.tools import SQL
from odoo.tools.misc import find_in_path
from odoo.tools.pdf import PdfFileReader

from odoo.addons.dunning_notices.compat import wkhtmltopdf_first_on_path
from odoo.addons.dunning_notices.models.dunning_notice import CLAIM_GRACE_SECONDS, MAX_PROCESS_ATTEMPTS
from odoo.addons.dunning_notices.models.dunning_notice_pdf import DunningNotice

from .common import DunningTestCommon

# The containers of Odoo's minimal layout holding one header (footer) per document of a call.
LETTERHEAD_IDS = ("minimal_layout_report_headers", "minimal_layout_report_footers")


def count_letterheads(layout_html):
    """How many letterheads (one per document) the header or footer HTML of a report call holds."""
    root = lxml.html.document_fromstring(layout_html)
    containers = root.xpath("//div[@id=$a or @id=$b]", a=LETTERHEAD_IDS[0], b=LETTERHEAD_IDS[1])
    return len(containers[0]) if containers else 0


def is_wkhtmltopdf_patched():
    """Whether the wkhtmltopdf Odoo runs (the first on the PATH) is the build of patched Qt."""
    try:
        out = subprocess.run([find_in_path("wkhtmltopdf"), "--version"], capture_output=True, check=False).stdout
    except (OSError, TypeError):
        return False
    return b"patched qt" in out.lower()


class WorkerKilled(BaseException):
    """Stands for the end of a cron worker past ``limit_time_real_cron``: Odoo's server kills the
    process, nothing in it catches that."""


def _kill_wkhtmltopdf_children():
    for child in psutil.Process().children(recursive=True):
        try:
            if child.name() == "wkhtmltopdf" or "wkhtmltopdf" in " ".join(child.cmdline()):
                child.kill()
        except psutil.Error:
            continue


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


# A stand-in for wkhtmltopdf (a process named wkhtmltopdf, as the real one): it prints a page per
# body it is given (the PDF of N pages prepared in its folder), fails on a body holding FAIL and hangs
# on a body holding HANG.
FAKE_WKHTMLTOPDF = """#!{python}
import os, shutil, sys, time
args = sys.argv[1:]
if "--version" in args:
    print("wkhtmltopdf 0.12.6 (stand-in)")
    sys.exit(0)
bodies = [a for a in args if os.path.basename(a).startswith("report.body.tmp.")]
text = "".join(open(a).read() for a in bodies)
if {hang!r} in text:
    time.sleep(120)
if {fail!r} in text:
    sys.stderr.write("the stand-in engine cannot print this notice")
    sys.exit(2)
shutil.copy(os.path.join({folder!r}, "pages_%d.pdf" % len(bodies)), args[-1])
"""

PER_CALL_PARAM = "dunning_notices.pdf_notices_per_call"


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
        original_notices = DunningNotice._render_batch_pdfs
        original_invoices = DunningNotice._render_batch_invoice_pdfs

        def spy_notices(notices):
            started["notices"] = original_notices(notices)
            return started["notices"]

        def spy_invoices(notices):
            started["invoices"] = original_invoices(notices)
            return started["invoices"]

        with (
            patch.object(DunningNotice, "_render_batch_pdfs", spy_notices),
            patch.object(DunningNotice, "_render_batch_invoice_pdfs", spy_invoices),
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
        self.assertEqual(notice.invoice_attachment_ids.raw, started["invoices"][self.alpha_inv.id])
        self.assertEqual(notice.pdf_attachment_id.raw, started["notices"][notice.id])
        mail = self.env["mail.mail"].search([("mail_message_id", "=", notice.message_id.id)])
        self.assertEqual(
            sorted(mail.attachment_ids.mapped("name")),
            sorted([notice._get_pdf_filename(), notice.invoice_attachment_ids.name]),
        )

    def test_report_engine_prints_several_notices_per_call(self):
        """Odoo's report engine prints the notices of a batch in calls of
        ``dunning_notices.pdf_notices_per_call`` notices (here: a stand-in printing a page per document,
        as the real one does for one-page notices), split per notice by the engine; each call holds
        the letterheads of its own notices, and each notice gets its page."""
        more = self.env["res.partner"].create(
            [{"name": f"Per call {i}", "email": f"p{i}@example.com"} for i in range(3)]
        )
        for partner in more:
            self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2))
        self.level_early.attach_notice_pdf = True
        self.env["ir.config_parameter"].set_param(PER_CALL_PARAM, "2")
        wizard = self._apply(self._wizard_form())
        wizard.line_ids.write({"to_email": False, "to_print": True})
        calls = []

        def fake_wkhtmltopdf(report, bodies, **kwargs):
            calls.append((len(bodies), count_letterheads(kwargs["header"]), count_letterheads(kwargs["footer"])))
            return _pdf_of_pages([f"notice {index}" for index in range(len(bodies))])

        report_class = type(self.env["ir.actions.report"])
        with (
            patch.object(report_class, "_run_wkhtmltopdf", fake_wkhtmltopdf),
            patch.object(DunningNotice, "_render_pdf_alone", side_effect=AssertionError("rendered alone")),
        ):
            wizard.with_context(force_report_rendering=True).action_send()
            self._run_queue(force_report_rendering=True)  # a Print run renders in the background
        notices = wizard.notice_ids
        self.assertGreaterEqual(len(notices), 5)
        self.assertEqual(set(notices.mapped("state")), {"done"})
        self.assertEqual(
            sorted(count for count, _headers, _footers in calls),
            sorted([2] * (len(notices) // 2) + [1] * (len(notices) % 2)),
        )
        self.assertEqual([(count, count, count) for count, _headers, _footers in calls], calls)
        for notice in notices:
            self.assertEqual(len(PdfFileReader(io.BytesIO(notice.pdf_attachment_id.raw)).pages), 1)

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
            if len(calls) > 1 and len(bodies) == len(notices):
                continue  # a call whose PDF could not be split: its notices were printed alone after it
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
        calls = []
        report_class = type(self.env["ir.actions.report"])
        original = report_class._run_wkhtmltopdf

        def engine(report, bodies, **kwargs):
            # The stylesheets come from the Odoo server, which a test does not run: wkhtmltopdf 0.12.3
            # drops the letterheads of pages whose links fail to load, so the test leaves them out.
            calls.append((bodies, kwargs))
            bodies = [_without_links(body) for body in bodies]
            kwargs = {**kwargs, "header": _without_links(kwargs["header"]), "footer": _without_links(kwargs["footer"])}
            return original(report, bodies, **kwargs)

        with (
            patch.object(report_class, "_run_wkhtmltopdf", engine),
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
        calls = []
        report_class = type(self.env["ir.actions.report"])
        original = report_class._run_wkhtmltopdf

        def engine(report, bodies, **kwargs):
            calls.append((bodies, kwargs))
            return original(report, bodies, **kwargs)

        with wkhtmltopdf_first_on_path(folder):
            if is_wkhtmltopdf_patched():
                self.skipTest(f"{debian} is a build of patched Qt, not Debian's")
            with patch.object(report_class, "_run_wkhtmltopdf", engine):
                wizard.action_send()
                self._run_queue(force_report_rendering=True)  # a Print run renders in the background
        # one call for the three (split by pages: a page each), or, where the engine's PDF cannot be
        # split, one call a notice after it
        self.assertIn([len(bodies) for bodies, _kwargs in calls], ([3], [3, 1, 1, 1]))
        self._assert_own_letterheads(wizard.notice_ids, letterheads, calls, with_footer=False)

    # -------------------------------------------------------------------------
    # A queue that cannot be blocked; the rendering pool
    # -------------------------------------------------------------------------

    def _stand_in_engine(self, hang, fail):
        folder = tempfile.mkdtemp(prefix="dunning_engine_")
        self.addCleanup(shutil.rmtree, folder)
        for count in range(1, 31):
            Path(folder, f"pages_{count}.pdf").write_bytes(_pdf_of_pages(["a dunning notice"] * count))
        script = Path(folder, "wkhtmltopdf")
        script.write_text(FAKE_WKHTMLTOPDF.format(python=sys.executable, hang=hang, fail=fail, folder=folder))
        script.chmod(0o755)
        return folder

    def _queued_print_notices(self, count):
        customers = self.env["res.partner"].create(
            [{"name": f"Queue Customer {index:02d}", "email": f"q{index}@example.com"} for index in range(1, count + 1)]
        )
        invoices = [self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2)) for partner in customers]
        wizard = self._apply(self._wizard_form())
        wizard.line_ids.write({"to_email": False, "to_print": False})
        wizard.line_ids.filtered(lambda line: line.partner_id in customers).to_print = True
        wizard.action_send()
        notices = wizard.notice_ids
        self.assertEqual(len(notices), count)
        self.assertEqual(set(notices.mapped("state")), {"queued"}, "a Print run goes to the queue")
        by_customer = {notice.partner_id: notice for notice in notices}
        return notices, [by_customer[partner] for partner in customers], invoices

    def test_queue_batch_goes_on_past_a_failed_snapshot_and_a_failed_pdf(self):
        """A queued batch of 12 notices: notice 3 fails in its snapshot, notice 7 in its PDF (a stand-in
        engine). The call of the report engine printing the batch fails, its notices are printed one by
        one: the 2 are in error with readable messages, the 10 others done, and the next cron call takes
        none of them again."""
        notices, by_index, invoices = self._queued_print_notices(12)
        third, seventh = by_index[2], by_index[6]
        engine = self._stand_in_engine(hang="no hang in this test", fail=f">{seventh.name}<")
        line_class = type(self.env["dunning.notice.line"])
        original_snapshot = line_class._prepare_vals_from_move_line

        def snapshot(line_model, item, days_overdue):
            if item.move_id == invoices[2]:
                raise ValueError("this item cannot be recorded")
            return original_snapshot(line_model, item, days_overdue)

        queue = self.env["dunning.notice"].with_context(force_report_rendering=True)
        with (
            wkhtmltopdf_first_on_path(engine),
            patch.object(line_class, "_prepare_vals_from_move_line", snapshot),
        ):
            taken = queue._cron_process_queue(batch_size=50)
            self.assertFalse(queue._cron_process_queue(batch_size=50), "nothing of the batch is taken again")
        failed = third | seventh
        self.assertEqual(taken, notices)
        self.assertEqual(notices.filtered(lambda n: n.state == "done"), notices - failed)
        self.assertEqual(failed.mapped("state"), ["error"] * 2)
        self.assertIn("this item cannot be recorded", third.error_message)
        self.assertIn("the stand-in engine cannot print this notice", seventh.error_message)
        for notice in notices - failed:
            self.assertTrue(notice.pdf_attachment_id.raw.startswith(b"%PDF"), notice.name)

    def test_hung_pdf_ends_in_error_through_the_claims(self):
        """A PDF that never returns (a stand-in engine that hangs on one notice): the addon sets no
        timeout of its own; the cron worker's time limit (``limit_time_real_cron``, played here by a
        timer) ends the batch, its transaction lost and its claims kept. Claimed once more than
        MAX_PROCESS_ATTEMPTS times, the batch's notices are put in error with the reason, and the
        queue goes on without them."""
        notices, by_index, _invoices = self._queued_print_notices(3)
        hung = by_index[1]
        engine = self._stand_in_engine(hang=f">{hung.name}<", fail="no failure in this test")
        queue = self.env["dunning.notice"].with_context(force_report_rendering=True)

        def time_limit(_signum, _frame):
            _kill_wkhtmltopdf_children()  # what the kill of the worker leaves behind, cleaned up here
            raise WorkerKilled()

        previous = signal.signal(signal.SIGALRM, time_limit)
        self.addCleanup(signal.signal, signal.SIGALRM, previous)
        with wkhtmltopdf_first_on_path(engine):
            for attempt in range(1, MAX_PROCESS_ATTEMPTS + 1):
                claimed, stopped = queue._claim_batch(50)
                self.assertEqual((claimed, stopped), (notices, queue.browse()), f"attempt {attempt}")
                # the savepoint: the worker's work, lost with it
                with self.assertRaises(WorkerKilled), self.env.cr.savepoint():
                    signal.setitimer(signal.ITIMER_REAL, 3)
                    try:
                        claimed._process()
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                self.env.invalidate_all()
                self.assertEqual(set(notices.mapped("state")), {"queued"})
                self.assertEqual(set(notices.mapped("process_attempt_count")), {attempt}, "the claim is kept")
                # the next worker comes after the claim's grace period
                self.env.execute_query(
                    SQL(
                        "UPDATE dunning_notice SET process_claim_date = process_claim_date - make_interval(secs => %s) "
                        "WHERE id = ANY(%s)",
                        CLAIM_GRACE_SECONDS + 1,
                        notices.ids,
                    )
                )
                notices.invalidate_recordset()
            self.assertFalse(queue._cron_process_queue(batch_size=50), "nothing left to process")
        self.assertEqual(set(notices.mapped("state")), {"error"})
        self.assertIn(f"stopped {MAX_PROCESS_ATTEMPTS} times before it ended", hung.error_message)
        self.assertIn("ran out of time", hung.error_message)
        self.assertFalse(hung.pdf_attachment_id)
