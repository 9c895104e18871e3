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
        all_recipients = self.browse().union(*recipients.values())
        # one query for the counters, one for the blacklist (is_blacklisted is computed in batch)
        all_recipients.fetch(["email", "email_normalized", "message_bounce"])
        failing = all_recipients.filtered(lambda r: r.message_bounce > 0 or r.is_blacklisted)
        notes = {}
        for customer in self:
            bounced = recipients.get(customer, self.browse()) & failing
            if bounced:
                notes[customer] = self.env._(
                    "Email to %(emails)s bounced or is blacklisted: Print is proposed instead.",
                    emails=", ".join(bounced.mapped("email")),
                )
        return notes
