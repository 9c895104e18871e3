# Kept apart from res_partner.py (the bounce side of the wizard's delivery proposal), hence:
# pylint: disable=consider-merging-classes-inherited
from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _get_dunning_bounced(self, recipients=None):
        """{customer: why Print is proposed instead of Email} for the commercial partners in ``self`` one
        of whose dunning recipients bounced (``message_bounce``, reset by Odoo when mail comes from the
        address again) or is blacklisted. ``recipients``: ``_get_dunning_recipients()``'s result, when
        the caller has it."""
        if recipients is None:
            recipients = self._get_dunning_recipients()
        # one query for the recipients that bounced or are blacklisted, usually none
        recipient_ids = list({pid for partners in recipients.values() for pid in partners.ids})
        failing = self.with_context(active_test=False).search_fetch(
            [("id", "in", recipient_ids), "|", ("message_bounce", ">", 0), ("is_blacklisted", "=", True)], ["email"]
        )
        if not failing:
            return {}
        notes = {}
        for customer in self:
            bounced = recipients.get(customer, self.browse()) & failing
            if bounced:
                notes[customer] = self.env._(
                    "Email to %(emails)s bounced or is blacklisted: Print is proposed instead.",
                    emails=", ".join(bounced.mapped("email")),
                )
        return notes
