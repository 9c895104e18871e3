import base64
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta

import lxml.html
from lxml import etree

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import file_open

from .common import DunningTestCommon
from .test_dunning_notice_pdf import is_wkhtmltopdf_patched

REPORT = "dunning_notices.report_dunning_notice"
# The demo company's letterhead (Odoo's standard layout, its logo and this address): the lines of text
# its header prints on every page, with the country's name in the letter's language.
COMPANY_NAME = "YourCompany Letterhead"
HEADER_TEXTS = {COMPANY_NAME, "250 Executive Park Blvd, Suite 3400", "San Francisco CA 94134"}
FOOTER_PATTERN = re.compile(r"Page \d+ / \d+")
# the least room between the letterhead's last line and the first line of the text, in points
MIN_GAP = 4
LONG_NOTE = "The invoices below are seriously overdue. We ask you to pay them without delay, or to call us."
LONG_NOTE_FR = "Les factures ci-dessous sont en retard important. Nous vous demandons de les régler sans délai."
# the closing paragraph and the greeting, in each language of the letters
CLOSING_TEXTS = {
    "en_US": ("If you have paid in the meantime", "Kind regards,"),
    "fr_FR": ("Si vous avez réglé entre-temps", "Cordialement,"),
}
XHTML = {"x": "http://www.w3.org/1999/xhtml"}


@dataclass
class PdfPage:
    """A page of a PDF, in points from its top left corner, and its words with their boxes in the
    order the PDF draws them."""

    width: float
    height: float
    words: list = field(default_factory=list)  # [(text, top, bottom)]

    @property
    def text(self):
        return " ".join(word[0] for word in self.words)

    def has(self, text):
        """Whether the page prints ``text``, also over several lines."""
        return text in self.text

    def find_words(self, text):
        """The indexes of the first run of words that prints ``text``, or None."""
        tokens = text.split()
        texts = [word[0] for word in self.words]
        for start in range(len(texts) - len(tokens) + 1):
            if texts[start : start + len(tokens)] == tokens:
                return range(start, start + len(tokens))
        return None


def pdf_pages(content):
    """The pages of the PDF ``content`` as poppler reads them: their number by pdfinfo, their words
    with their boxes by ``pdftotext -raw -bbox``."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(content)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, check=True, text=True).stdout
        # in the order the PDF draws them (-raw): the letterhead's words together, even where text overlaps them
        boxes = subprocess.run(["pdftotext", "-raw", "-bbox", file.name, "-"], capture_output=True, check=True)
    count = int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))
    pages = [
        PdfPage(
            float(page.get("width")),
            float(page.get("height")),
            [
                (word.text or "", float(word.get("yMin")), float(word.get("yMax")))
                for word in page.iterfind("x:word", XHTML)
            ],
        )
        for page in etree.fromstring(boxes.stdout).iterfind(".//x:page", XHTML)
    ]
    assert len(pages) == count, "pdfinfo and pdftotext agree on the pages"
    return pages


def pdf_text(pages):
    return "\n".join(page.text for page in pages)


@tagged("post_install", "-at_install")
class TestDunningNoticeLetter(DunningTestCommon, HttpCase):
    """Issue 26: the printed letter with the company's letterhead, as wkhtmltopdf prints it (the
    patched build, its stylesheets fetched from the test server): a short letter on one page, a long
    one breaking cleanly, the letterhead never over the text, a draft marked as such."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with file_open("base/static/img/res_company_logo.png", "rb") as file:
            logo = file.read()
        cls.company.write(
            {
                "name": COMPANY_NAME,
                "logo": base64.b64encode(logo),
                "street": "250 Executive Park Blvd, Suite 3400",
                "city": "San Francisco",
                "zip": "94134",
                "state_id": cls.env.ref("base.state_us_5").id,
                "country_id": cls.env.ref("base.us").id,
                "external_report_layout_id": cls.env.ref("web.external_layout_standard").id,
            }
        )
        cls.env["res.partner.bank"].create({"acc_number": "BANK134567890", "partner_id": cls.company.partner_id.id})
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.level_all = cls._create_level_all()
        cls.level_all.note = LONG_NOTE
        cls.level_all.with_context(lang="fr_FR").note = LONG_NOTE_FR
        cls.beta.write({"lang": "fr_FR", "street": "21 rue de la République", "zip": "69002", "city": "Lyon"})
        cls.alpha.write({"street": "12 Harbour Road", "city": "Boston", "zip": "02110"})
        cls.half_term = cls.env["account.payment.term"].create(
            {
                "name": "Half in 10 days, half in 20",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 10}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 20}),
                ],
            }
        )

    def setUp(self):
        super().setUp()
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok" or not is_wkhtmltopdf_patched():
            self.skipTest("the letterhead prints with the build of patched Qt only (./dev setup fetches it)")
        # wkhtmltopdf fetches the report's stylesheets from the test server: without them, no letterhead
        self.env["ir.config_parameter"].set_param("report.url", self.base_url())

    @classmethod
    def _invoices(cls, partner, count, amount=1000):
        """``count`` overdue invoices of ``partner``, due on different days of June 2026."""
        moves = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": date(2026, 5, 1) + timedelta(days=index % 28),
                    "invoice_date_due": date(2026, 6, 1) + timedelta(days=index % 28),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Service",
                                "quantity": 1,
                                "price_unit": amount + index,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for index in range(count)
            ]
        )
        moves.action_post()
        return moves

    def _print(self, partners):
        """The notices of ``partners`` printed and processed as the queue does, with wkhtmltopdf: the
        notices and the pages of their stored PDFs."""
        form = self._wizard_form(level_id=self.level_all)
        for partner in partners:
            form.partner_ids.add(partner)
        wizard = self._apply(form)
        wizard.line_ids.write({"to_print": True, "to_email": False})
        wizard.action_send()
        self._run_queue(force_report_rendering=True)
        notices = wizard.notice_ids
        self.assertEqual(len(notices), len(partners))
        for notice in notices:
            self.assertEqual(notice.state, "done", notice.error_message)
            self.assertTrue(notice.pdf_attachment_id.raw.startswith(b"%PDF"))
        return {notice.partner_id: (notice, pdf_pages(notice.pdf_attachment_id.raw)) for notice in notices}

    def _assert_letterhead_clear(self, pages, notice, name):
        """On every page the whole letterhead, above the text with room to spare, and the footer below
        it: nothing of the letter is covered."""
        lang = notice.partner_id.lang or "en_US"
        header_texts = HEADER_TEXTS | {self.company.country_id.with_context(lang=lang).name}
        for number, page in enumerate(pages, start=1):
            where = f"{name}, page {number} of {len(pages)}"
            header = set()
            for text in header_texts:
                found = page.find_words(text)
                self.assertIsNotNone(found, f"{where}: the letterhead's {text!r}")
                header.update(found)
            page_number = FOOTER_PATTERN.search(page.text)
            self.assertTrue(page_number, f"{where}: the footer")
            footer = set(page.find_words(page_number.group()))
            body = [word for index, word in enumerate(page.words) if index not in header | footer]
            self.assertTrue(body, f"{where}: some text")
            header_bottom = max(page.words[index][2] for index in header)
            body_top = min(body, key=lambda word: word[1])
            self.assertGreaterEqual(
                body_top[1] - header_bottom,
                MIN_GAP,
                f"{where}: {body_top[0]!r} starts {body_top[1] - header_bottom:.1f} pt below the letterhead",
            )
            body_bottom = max(body, key=lambda word: word[2])
            footer_top = min(page.words[index][1] for index in footer)
            self.assertLess(body_bottom[2], footer_top, f"{where}: {body_bottom[0]!r} ends above the footer")

    def _assert_closing_together(self, pages, notice, name):
        """The last paragraph, the greeting and the signature on one page, the last."""
        self.assertTrue(notice.sender_name)
        for text in (*CLOSING_TEXTS[notice.partner_id.lang or "en_US"], notice.sender_name):
            on = [number for number, page in enumerate(pages, start=1) if page.has(text)]
            self.assertEqual(on, [len(pages)], f"{name}: {text!r} on the last page")

    def test_short_letters_fit_one_page(self):
        """The demo's case (US Letter, the tighter page): one and five items, in English and French, and
        three items with an open credit, each on one page, the letterhead above the text; the wording of a
        letter to a customer."""
        # the US Letter variant of the letter's format, as the install chooses for a company printing on Letter
        self.env.ref("dunning_notices.action_report_dunning_notice").paperformat_id = self.env.ref(
            "dunning_notices.paperformat_dunning_notice_letter"
        )
        self._invoices(self.alpha, 3)
        self._invoice(self.alpha, date(2026, 5, 1), 900, payment_term=self.half_term)  # due 11 and 21 May
        self._invoices(self.beta, 5)
        self._invoices(self.carol, 1)
        self.carol.lang = "fr_FR"
        # three items and an open credit note, as the demo's Cedar Lane: the credits' table fits too
        self._invoices(self.dan, 3)
        self._credit_note(self.dan, date(2026, 6, 10), 300)
        letters = self._print(self.alpha | self.beta | self.carol | self.dan)
        self.assertIn("Credits and unapplied payments", pdf_text(letters[self.dan][1]))
        for partner, items in ((self.alpha, 5), (self.beta, 5), (self.carol, 1), (self.dan, 3)):
            notice, pages = letters[partner]
            name = f"{partner.name} ({partner.lang}, {items} items)"
            self.assertEqual(len(notice._get_overdue_lines()), items)
            self.assertEqual(len(pages), 1, f"{name}: one page")
            self.assertEqual((round(pages[0].width), round(pages[0].height)), (612, 792), "US Letter")
            self._assert_letterhead_clear(pages, notice, name)
            self._assert_closing_together(pages, notice, name)
            text = pdf_text(pages)
            self.assertIn(notice.name, text, "the notice's number, as the letter's reference")
            self.assertNotIn("Dunning Notice", text)
            self.assertNotIn("DRAFT", text)
            for internal in ("Days counted from", "Jours comptés depuis"):
                self.assertNotIn(internal, text)
        text = pdf_text(letters[self.alpha][1])
        self.assertIn("Payment reminder", text)
        # the two instalments of one invoice, told apart
        self.assertIn("Instalment 1 of 2", text)
        self.assertIn("Instalment 2 of 2", text)

    def test_long_letter_breaks_cleanly(self):
        """Forty items (on A4, the letter's format of a company printing on A4): several pages, each with
        the letterhead above the text and the footer below it; the closing paragraph and the signature
        together."""
        self.env.ref("dunning_notices.action_report_dunning_notice").paperformat_id = self.env.ref(
            "dunning_notices.paperformat_dunning_notice"
        )
        self._invoices(self.alpha, 40)
        self._invoices(self.beta, 40)
        letters = self._print(self.alpha | self.beta)
        for partner in (self.alpha, self.beta):
            notice, pages = letters[partner]
            name = f"{partner.name} ({partner.lang}, 40 items)"
            self.assertGreater(len(pages), 1, f"{name}: several pages")
            self.assertEqual({(round(page.width), round(page.height)) for page in pages}, {(595, 842)}, "A4")
            self._assert_letterhead_clear(pages, notice, name)
            self._assert_closing_together(pages, notice, name)
            invoices = notice._get_overdue_lines().move_id
            printed = [invoice.name for invoice in invoices if pdf_text(pages).count(invoice.name) == 1]
            self.assertEqual(len(printed), 40, f"{name}: every item once")

    def test_draft_letter_is_marked_draft(self):
        """A run's draft (its preview): "Payment reminder (draft)" and DRAFT, no number; once sent, the
        notice's letter has neither."""
        self._invoices(self.alpha, 2)
        form = self._wizard_form(level_id=self.level_all)
        form.partner_ids.add(self.alpha)
        wizard = self._apply(form)
        wizard.line_ids.write({"to_print": True, "to_email": False})
        wizard.action_save_for_review()
        draft = wizard.notice_ids
        self.assertEqual((draft.state, draft.name), ("draft", "/"))
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        content, report_type = report._render_qweb_pdf(REPORT, draft.ids)
        self.assertEqual(report_type, "pdf")
        pages = pdf_pages(content)
        text = pdf_text(pages)
        self.assertIn("DRAFT", text)
        self.assertIn("Payment reminder (draft)", text)
        self.assertNotIn("Dunning Notice", text)
        self.assertNotIn(" /\n", text + "\n", "no number of a notice not numbered yet")
        self._assert_letterhead_clear(pages, draft, "the draft")
        self.assertTrue(draft._get_report_base_filename().startswith("Draft - "))
        # sent, the same notice's letter is no draft any more
        with self.mock_mail_gateway():
            # one notice: processed in the request, its PDF rendered by wkhtmltopdf as the context asks
            draft.run_id.with_context(force_report_rendering=True).action_send()
            self._run_queue(force_report_rendering=True)
        self.assertEqual(draft.state, "done", draft.error_message)
        text = pdf_text(pdf_pages(draft.pdf_attachment_id.raw))
        self.assertNotIn("DRAFT", text)
        self.assertNotIn("(draft)", text)
        self.assertIn("Payment reminder", text)
        self.assertIn(draft.name, text)


@tagged("post_install", "-at_install")
class TestDunningNoticeWording(DunningTestCommon):
    """Issue 26: the letter's wording as the customer reads it (the rendered report, as HTML)."""

    def _letter(self, notice):
        html, _type = self.env["ir.actions.report"]._render_qweb_html(REPORT, notice.ids)
        return lxml.html.fromstring(html)

    def _text(self, node):
        return " ".join(node.text_content().split())

    def test_letter_wording(self):
        """The title says "Payment reminder", the number as the letter's reference, no internal aging basis, the
        total's label bold as a whole, each instalment named."""
        term = self.env["account.payment.term"].create(
            {
                "name": "Half now, half in 15 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 15}),
                ],
            }
        )
        invoice = self._invoice(self.alpha, date(2026, 6, 1), 200, payment_term=term)  # due 1 and 16 June
        single = self._invoice(self.alpha, date(2026, 6, 2), 50, due=date(2026, 6, 10))
        notice, _mails = self._send_to(self.alpha, self.level_early)
        self._run_queue()
        letter = self._letter(notice)
        text = self._text(letter)
        self.assertEqual(self._text(letter.xpath("//h2[@name='title']")[0]), "Payment reminder Early")
        self.assertEqual(self._text(letter.xpath("//h2[@name='title']/small[@name='level']")[0]), "Early")
        self.assertIn(f"Our Reference {notice.name}", text)
        self.assertNotIn("Dunning Notice", text)
        self.assertNotIn("Days counted from", text)
        rows = {self._text(row) for row in letter.xpath("//table[@name='overdue_items']/tbody/tr")}
        self.assertEqual(len(rows), 3)
        instalments = [row for row in rows if row.startswith(invoice.name)]
        self.assertEqual(len(instalments), 2)
        self.assertTrue(any("Instalment 1 of 2" in row and "06/01/2026" in row for row in instalments), instalments)
        self.assertTrue(any("Instalment 2 of 2" in row and "06/16/2026" in row for row in instalments), instalments)
        self.assertNotIn("Instalment", next(row for row in rows if row.startswith(single.name)))
        # the total: its whole label bold, without the code of the only currency (the amount has its symbol)
        total = letter.xpath("//table[@name='totals']//tr[contains(@class, 'o_total')]/td")[0]
        self.assertEqual(self._text(total), "Total Due")
        self.assertEqual(self._text(total), " ".join(self._text(strong) for strong in total.xpath(".//strong")))

    def test_currency_code_and_aging_basis_when_they_matter(self):
        """Another currency than the company's: the total names it, bold with its label. Aged by invoice
        date: the column says what it counts."""
        other = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        self._invoice(self.alpha, date(2026, 6, 1), 600, due=date(2026, 6, 10), currency=other)
        form = self._wizard_form(date_basis="invoice_date")
        form.partner_ids.add(self.alpha)
        wizard = self._apply(form)
        wizard.line_ids.write({"to_print": True, "to_email": False})
        wizard.action_send()
        self._run_queue()
        letter = self._letter(wizard.notice_ids)
        headers = [self._text(th) for th in letter.xpath("//table[@name='overdue_items']/thead//th")]
        self.assertIn("Days Since Invoice", headers)
        self.assertNotIn("Days Overdue", headers)
        total = letter.xpath("//table[@name='totals']//tr[contains(@class, 'o_total')]/td")[0]
        self.assertEqual(self._text(total), "Total Due EUR")
        self.assertEqual(self._text(total), " ".join(self._text(strong) for strong in total.xpath(".//strong")))
