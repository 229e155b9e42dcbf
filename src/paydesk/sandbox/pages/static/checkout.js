// The hosted page's card fields: formatted as typed (groups of four, "MM / YY"), the card's
// brand shown as soon as its first digits say it. The server accepts the unformatted forms too.
(function () {
  "use strict";
  const number = document.getElementById("card_number");
  const expiry = document.getElementById("card_expiry");
  const cvc = document.getElementById("card_cvc");
  const badge = document.getElementById("card-brand");
  if (!number) return;
  const NAMES = { visa: "VISA", mastercard: "Mastercard", amex: "AMEX", discover: "Discover",
                  jcb: "JCB", diners: "Diners", unionpay: "UnionPay" };

  function brand(d) {
    const two = +d.slice(0, 2), four = +d.slice(0, 4);
    if (d[0] === "4") return "visa";
    if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return "mastercard";
    if (two === 34 || two === 37) return "amex";
    if (/^(6011|65|64[4-9])/.test(d)) return "discover";
    if (two === 35) return "jcb";
    if (two === 30 || two === 36 || two === 38) return "diners";
    if (two === 62) return "unionpay";
    return "unknown";
  }

  function groupNumber(d, kind) {
    if (kind === "amex") return [d.slice(0, 4), d.slice(4, 10), d.slice(10, 15)].filter(Boolean).join(" ");
    return (d.slice(0, 19).match(/.{1,4}/g) || []).join(" ");
  }

  // Keep the caret after the same count of digits once spaces move around it.
  function reformat(input, format) {
    const before = input.value.slice(0, input.selectionStart).replace(/\D/g, "").length;
    input.value = format(input.value.replace(/\D/g, ""));
    let pos = 0, seen = 0;
    while (pos < input.value.length && seen < before) { if (/\d/.test(input.value[pos])) seen++; pos++; }
    input.setSelectionRange(pos, pos);
  }

  function showBrand() {
    const kind = brand(number.value.replace(/\D/g, ""));
    badge.dataset.brand = kind;
    badge.className = "brand brand-" + kind;
    badge.textContent = NAMES[kind] || "";
    cvc.maxLength = kind === "amex" ? 4 : 3;
  }

  number.addEventListener("input", () => {
    reformat(number, (d) => groupNumber(d, brand(d)));
    showBrand();
  });
  expiry.addEventListener("input", (event) => {
    // Deleting the slash deletes the month's last digit with it, as people expect.
    const deleting = event.inputType && event.inputType.startsWith("delete");
    reformat(expiry, (d) => {
      if (d.length === 1 && +d > 1) d = "0" + d;
      if (d.length < 2) return d;
      return d.slice(0, 2) + (d.length > 2 || !deleting ? " / " : "") + d.slice(2, 4);
    });
  });
  cvc.addEventListener("input", () => { cvc.value = cvc.value.replace(/\D/g, ""); });

  // Each form posts through fetch and shows a refusal in place, so after a decline every field
  // still holds what was typed (the server never echoes a card number, and nothing is stored in
  // the browser). Without this script the form posts as usual and the page comes back.
  const errors = document.getElementById("errors");

  function showErrors(form, messages, field) {
    errors.replaceChildren(...messages.map((message) => {
      const alert = document.createElement("div");
      alert.className = "alert error";
      alert.setAttribute("role", "alert");
      alert.textContent = message;
      return alert;
    }));
    const input = form.elements.namedItem(field) || form.querySelector("input:not([type=hidden])");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      input.select();
    }
  }

  function clearErrors(form) {
    errors.replaceChildren();
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  }

  async function post(form) {
    const answer = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    return answer.json();
  }

  document.querySelectorAll("form[method=post]").forEach((form) => {
    const button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (button.disabled) return; // one payment attempt at a time; the server also refuses a second charge
      button.disabled = true;
      clearErrors(form);
      let outcome;
      try {
        outcome = await post(form);
      } catch (failure) {
        outcome = { error: { messages: ["Something went wrong. Please try again."] } };
      }
      if (outcome.redirect) {
        window.location.assign(outcome.redirect); // 3DS challenge, success page, or this page anew
        return;
      }
      button.disabled = false;
      showErrors(form, outcome.error.messages, outcome.error.field);
    });
  });
})();
