/** @odoo-module **/
// A level's upper bounds (days, amount) mean "no limit" at 0: the input shows empty with the placeholder
// "no limit" instead of "0" or "$0.00"; emptied, it saves 0 again, as the number fields parse "". Both
// series' integer and monetary inputs carry the ref "numpadDecimal" (19.0's monetary input no placeholder).
import { useEffect, useRef } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { IntegerField, integerField } from "@web/views/fields/integer/integer_field";
import { MonetaryField, monetaryField } from "@web/views/fields/monetary/monetary_field";

function useNoLimitPlaceholder() {
    const input = useRef("numpadDecimal");
    useEffect(
        (el) => {
            if (el) {
                el.placeholder = _t("no limit");
            }
        },
        () => [input.el]
    );
}

/** The number field ``Base`` showing 0 as an empty input that says "no limit". */
const noLimit = (Base) =>
    class extends Base {
        setup() {
            super.setup();
            useNoLimitPlaceholder();
        }

        get formattedValue() {
            return this.value ? super.formattedValue : "";
        }
    };

export const NoLimitIntegerField = noLimit(IntegerField);
export const NoLimitMonetaryField = noLimit(MonetaryField);

registry.category("fields").add("dunning_no_limit_integer", { ...integerField, component: NoLimitIntegerField });
registry.category("fields").add("dunning_no_limit_monetary", { ...monetaryField, component: NoLimitMonetaryField });
