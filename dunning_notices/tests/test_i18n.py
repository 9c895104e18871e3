import io

import polib

from odoo.tests import tagged
from odoo.tools.misc import file_path

from odoo.addons.base.tests.common import BaseCommon

from ..compat import export_translations


@tagged("post_install", "-at_install")
class TestTranslations(BaseCommon):
    def test_pot_is_current_and_french_is_complete(self):
        buffer = io.BytesIO()
        export_translations(self.env, ["dunning_notices"], buffer)
        exported = {entry.msgid for entry in polib.pofile(buffer.getvalue().decode())}
        shipped_pot = {entry.msgid for entry in polib.pofile(file_path("dunning_notices/i18n/dunning_notices.pot"))}
        self.assertEqual(exported - shipped_pot, set(), "i18n/dunning_notices.pot is out of date: export it again")
        french = polib.pofile(file_path("dunning_notices/i18n/fr.po"))
        translated = {entry.msgid for entry in french if entry.msgstr and not entry.fuzzy}
        self.assertEqual(exported - translated, set(), "fr.po misses these terms")
