// The shop's own payment page: the Payment Element, confirmed with Stripe.js. The same script
// runs against js.stripe.com and the sandbox's /v3/; the template picks which one loads.
(function () {
  "use strict";
  const form = document.getElementById("payment-form");
  if (!form) return;
  const stripe = Stripe(form.dataset.publishableKey);
  const elements = stripe.elements({ clientSecret: form.dataset.clientSecret,
    appearance: { theme: "stripe" } });
  const payment = elements.create("payment");
  const submit = document.getElementById("submit");
  const message = document.getElementById("payment-message");
  const label = submit.textContent;
  payment.on("ready", () => { submit.disabled = false; });
  payment.mount("#payment-element");

  function show(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    submit.textContent = "Paying…";
    show("");
    // On success Stripe.js leaves for the return URL; this page then reads the payment back.
    const { error } = await stripe.confirmPayment({
      elements, confirmParams: { return_url: form.dataset.returnUrl } });
    document.getElementById("payment-failure").hidden = true;
    if (error.code === "payment_intent_authentication_failure") {
      show("Your bank did not authenticate the payment: try again or use another card.");
    } else if (error.type === "card_error" || error.type === "validation_error") {
      show(error.message);
    } else {
      show("Something went wrong with the payment: " + error.message);
    }
    submit.disabled = false;
    submit.textContent = label;
  });
})();
