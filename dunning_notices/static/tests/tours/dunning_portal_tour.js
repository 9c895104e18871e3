import { registry } from "@web/core/registry";

/** yyyy-mm-dd of `days` days from today, as a date input takes it. */
function isoInDays(days) {
    const day = new Date();
    day.setDate(day.getDate() + days);
    const pad = (n) => String(n).padStart(2, "0");
    return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

// The customer opens the notice's link from its email: disputes an invoice, then promises to pay the rest.
registry.category("web_tour.tours").add("dunning_portal_dispute_promise_tour", {
    steps: () => [
        {
            content: "The notice's page lists what is due",
            trigger: ".o_dunning_portal_items .badge:contains(Due)",
        },
        {
            content: "Choose the second invoice to dispute",
            trigger: "#dunning_dispute_move",
            run() {
                this.anchor.selectedIndex = 1;
            },
        },
        {
            content: "Say what is wrong",
            trigger: "#dunning_dispute_reason",
            run: "edit Wrong quantity delivered",
        },
        {
            content: "Dispute it",
            trigger: ".o_dunning_dispute_form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The page thanks the customer and shows the invoice in dispute",
            trigger: ".alert-info:contains(marked as disputed)",
        },
        {
            trigger: ".o_dunning_portal_items .badge:contains(In dispute)",
        },
        {
            content: "Promise a date a week ahead",
            trigger: "#dunning_promise_date",
            run() {
                this.anchor.value = isoInDays(7);
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Promise to pay",
            trigger: ".o_dunning_promise_form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The promise is noted",
            trigger: ".alert-info:contains(noted your promise)",
        },
        {
            trigger: ".o_dunning_portal_items .badge:contains(Promised for)",
        },
    ],
});

// The customer pays everything due on the notice at once, with the demo payment provider.
registry.category("web_tour.tours").add("dunning_portal_pay_all_tour", {
    steps: () => [
        {
            content: "Pay now is offered for the whole notice",
            trigger: ".o_dunning_portal_payment",
        },
        {
            content: "Choose the demo payment method when there is a choice",
            trigger: "input[name='o_payment_radio'][data-payment-method-code='demo']",
            run: "click",
        },
        {
            content: "Pay",
            trigger: "button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the notice's page: thank you, and the invoices are paid",
            trigger: ".alert-success:contains(Thank you for your payment)",
            timeout: 30000,
        },
        {
            trigger: ".o_dunning_portal_items .badge:contains(Paid)",
        },
        {
            content: "Nothing left to pay",
            trigger: ".o_dunning_portal_totals:contains(Nothing)",
        },
    ],
});
