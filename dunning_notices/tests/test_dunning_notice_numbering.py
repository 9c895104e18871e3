from odoo import fields
from odoo.tests import tagged

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningNoticeNumbering(DunningTestCommon):
    """Issue 24: each company numbers its notices with a sequence of its own (ir.sequence.next_by_id)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Company Two")["company"]
        cls.customer_2 = cls.env["res.partner"].create({"name": "Customer Two", "company_id": cls.company_2.id})
        cls.level_2 = cls.env["dunning.level"].search([("company_id", "=", cls.company_2.id)], limit=1)

    def _notice_vals(self, company, **values):
        # made as the server makes them (users have no create right on notices)
        customer, level = (self.alpha, self.level_early) if company == self.company else (self.customer_2, self.level_2)
        return {
            "company_id": company.id,
            "partner_id": customer.id,
            "level_id": level.id,
            "report_id": level.report_id.id,
            "date_basis": "due_date",
            "as_of_date": AS_OF,
            **values,
        }

    def _year(self):
        return fields.Date.context_today(self.env["dunning.notice"]).year

    def test_companies_number_independently(self):
        self.assertTrue(self.level_2, "a new company gets the default levels")
        sequences = self.env["ir.sequence"].search([("code", "=", "dunning.notice")])
        self.assertEqual(len(sequences.filtered(lambda s: s.company_id == self.company_2)), 1, "made with it")
        first = self.env["dunning.notice"].sudo().create(self._notice_vals(self.company))
        # a notice of company 2 made from company 1's session takes company 2's number
        self.assertEqual(self.env.company, self.company)
        other = self.env["dunning.notice"].sudo().create(self._notice_vals(self.company_2))
        second = (
            self.env["dunning.notice"].sudo().create(self._notice_vals(self.company, as_of_date=AS_OF.replace(day=1)))
        )
        self.assertEqual(other.name, f"DUN/{self._year()}/00001", "company 2's first notice is its own 00001")
        number = int(first.name.rsplit("/", 1)[1])
        self.assertEqual(second.name, f"DUN/{self._year()}/{number + 1:05d}", "company 2 took none of company 1's")
        # several companies in one create, each from its own sequence
        both = (
            self.env["dunning.notice"]
            .sudo()
            .create(
                [
                    self._notice_vals(self.company_2, as_of_date=AS_OF.replace(day=2)),
                    self._notice_vals(self.company, as_of_date=AS_OF.replace(day=2)),
                ]
            )
        )
        self.assertEqual(both.mapped("name"), [f"DUN/{self._year()}/00002", f"DUN/{self._year()}/{number + 2:05d}"])

    def test_draft_numbered_in_its_company_when_confirmed_and_discarded_uses_none(self):
        drafts = (
            self.env["dunning.notice"]
            .sudo()
            .create([self._notice_vals(self.company_2, state="draft"), self._notice_vals(self.company, state="draft")])
        )
        self.assertEqual(drafts.mapped("name"), ["/", "/"])
        sequence_2 = self.env["dunning.notice"]._get_notice_sequence(self.company_2)
        self.assertEqual(sequence_2.number_next_actual, 1, "a draft takes no number")
        drafts[0]._confirm_drafts()
        self.assertEqual(drafts[0].name, f"DUN/{self._year()}/00001")
        self.assertEqual(drafts[1].name, "/")
        # a discarded draft uses no number: the next one of company 2 is 00002
        drafts[1]._write_state({"state": "cancel"})
        after = (
            self.env["dunning.notice"].sudo().create(self._notice_vals(self.company_2, as_of_date=AS_OF.replace(day=1)))
        )
        self.assertEqual(after.name, f"DUN/{self._year()}/00002")

    def test_database_from_before_goes_on_from_the_shared_sequence(self):
        """A database numbered by one sequence for all companies: a company without a sequence of its
        own gets one on its first notice, going on from the shared one (no number used twice)."""
        # company 2 without a sequence of its own, and one shared sequence (a database upgraded from before
        # may hold the shipped one without a company: this test's stands for it)
        self.env["ir.sequence"].search(
            [("code", "=", "dunning.notice"), ("company_id", "in", [self.company_2.id, False])]
        ).unlink()
        shared = self.env["ir.sequence"].create(
            {
                "name": "Dunning Notice",
                "code": "dunning.notice",
                "prefix": "DN/%(range_year)s/",
                "padding": 4,
                "use_date_range": True,
                "company_id": False,
            }
        )
        year = self._year()
        self.env["ir.sequence.date_range"].create(
            {
                "sequence_id": shared.id,
                "date_from": f"{year}-01-01",
                "date_to": f"{year}-12-31",
                "number_next_actual": 42,
            }
        )
        notice = self.env["dunning.notice"].sudo().create(self._notice_vals(self.company_2))
        self.assertEqual(notice.name, f"DN/{year}/0042")
        own = self.env["dunning.notice"]._get_notice_sequence(self.company_2)
        self.assertEqual(own.company_id, self.company_2)
        self.assertNotEqual(own, shared)
        self.assertEqual(shared.date_range_ids.number_next_actual, 42, "the shared sequence is left as it was")
