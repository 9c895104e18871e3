"""1.4.0: Letters to Print lists every letter not yet printed (before, the bounced notices only). The letters
of notices processed before it were handed to their user when sent (downloaded with the send, or from the
notices): they count as printed on the day they were sent, so that the list starts empty, not with the past."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """UPDATE dunning_notice
                  SET date_printed = COALESCE(date_sent::timestamp, write_date)
                WHERE to_print AND state = 'done' AND date_printed IS NULL"""
        )
    )
