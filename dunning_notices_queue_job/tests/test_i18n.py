import io

import polib

from odoo.tests import tagged
from odoo.tools.misc import file_path

from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.dunning_notices.compat import export_translations


@tagged("post_install", "-at_install")
class TestTranslations(BaseCommon):
    def test_pot_is_current_and_french_is_complete(self):
        buffer = io.BytesIO()
        export_translations(self.env, ["dunning_notices_queue_job"], buffer)
        exported = {entry.msgid for entry in polib.pofile(buffer.getvalue().decode())}
        pot = file_path("dunning_notices_queue_job/i18n/dunning_notices_queue_job.pot")
        self.assertEqual(exported - {entry.msgid for entry in polib.pofile(pot)}, set(), "export the .pot again")
        french = polib.pofile(file_path("dunning_notices_queue_job/i18n/fr.po"))
        translated = {entry.msgid for entry in french if entry.msgstr and not entry.fuzzy}
        self.assertEqual(exported - translated, set(), "fr.po misses these terms")
