// Storefront cart: kept in the page (and localStorage), priced for display only.
// The server prices the order from its own catalog; nothing here is trusted.
(function () {
  "use strict";
  const catalogEl = document.getElementById("catalog");
  const catalog = JSON.parse(catalogEl.textContent);
  const MAX = parseInt(catalogEl.dataset.maxQuantity, 10) || 20;  // the server's cap per product
  const byId = Object.fromEntries(catalog.map((p) => [p.id, p]));
  let cart = {};
  try { cart = JSON.parse(localStorage.getItem("paydesk-cart") || "{}"); } catch (e) { cart = {}; }
  for (const id of Object.keys(cart)) if (!byId[id]) delete cart[id];

  const fmt = (amount, currency) => {
    const decimals = (catalog.find((p) => p.currency === currency) || { decimals: 2 }).decimals;
    return new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase(),
      minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(amount / 10 ** decimals);
  };
  const $ = (id) => document.getElementById(id);

  function save() { localStorage.setItem("paydesk-cart", JSON.stringify(cart)); }

  function render() {
    const ids = Object.keys(cart);
    const list = $("cart-lines");
    list.innerHTML = "";
    let total = 0, count = 0, currency = null;
    for (const id of ids) {
      const p = byId[id], q = cart[id];
      total += p.unit_amount * q; count += q; currency = p.currency;
      const li = document.createElement("li");
      li.className = "row line";
      li.dataset.productId = id;
      li.innerHTML = '<span class="line-name"></span><span class="line-actions">' +
        '<button class="icon" data-act="dec" aria-label="One less">−</button>' +
        '<span class="line-q"></span>' +
        '<button class="icon" data-act="inc" aria-label="One more">+</button>' +
        '<button class="icon" data-act="del" aria-label="Remove"><svg width="12" height="12" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" aria-hidden="true"><path d="m6 6 12 12M18 6 6 18"/></svg></button></span>';
      li.querySelector(".line-name").textContent = p.name;
      li.querySelector(".line-q").textContent = q;
      list.appendChild(li);
    }
    if (!ids.length) list.innerHTML = '<li class="muted">Nothing here yet.</li>';
    $("cart-total").textContent = currency ? fmt(total, currency) : "—";
    $("cart-count").textContent = count;
    $("pay").disabled = !ids.length;
    $("pay-here").disabled = !ids.length;
  }

  function showError(message) {
    const el = $("cart-error");
    el.textContent = message; el.hidden = !message;
  }

  document.querySelectorAll(".product").forEach((card) => {
    card.querySelector(".add").addEventListener("click", () => {
      const id = card.dataset.productId;
      const q = Math.max(1, Math.min(MAX, parseInt(card.querySelector(".qty").value, 10) || 1));
      cart[id] = Math.min(MAX, (cart[id] || 0) + q);
      showError(""); save(); render();
    });
  });

  // Plans are bought one at a time, straight to Stripe's subscription checkout.
  document.querySelectorAll(".plan").forEach((card) => {
    const button = card.querySelector(".subscribe"), error = card.querySelector(".plan-error");
    button.addEventListener("click", async () => {
      const email = card.querySelector(".plan-email").value.trim();
      error.hidden = true;
      if (!email) { error.textContent = "Enter your email to subscribe."; error.hidden = false; return; }
      button.disabled = true; button.textContent = "Opening checkout…";
      try {
        const res = await fetch("/api/subscribe", { method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ plan_id: card.dataset.planId, email }) });
        const data = await res.json();
        if (res.ok && data.url) { window.location.assign(data.url); return; }
        error.textContent = data.detail || data.error || "Could not start the subscription.";
      } catch (e) {
        error.textContent = "Could not reach the shop; try again.";
      }
      error.hidden = false; button.disabled = false; button.textContent = "Subscribe";
    });
  });

  $("cart-lines").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button"); if (!btn) return;
    const id = btn.closest(".line").dataset.productId;
    if (btn.dataset.act === "inc") cart[id] = Math.min(MAX, cart[id] + 1);
    if (btn.dataset.act === "dec") cart[id] -= 1;
    if (btn.dataset.act === "del" || cart[id] <= 0) delete cart[id];
    save(); render();
  });

  $("pay").addEventListener("click", async () => {
    const pay = $("pay");
    pay.disabled = true; pay.textContent = "Opening checkout…"; showError("");
    const body = { items: Object.entries(cart).map(([product_id, quantity]) => ({ product_id, quantity })) };
    const email = $("email").value.trim();
    if (email) body.email = email;
    try {
      const res = await fetch("/api/checkout", { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const data = await res.json();
      if (res.status === 201) {
        // The cart stays until the payment succeeds (the success page empties it), so "Back"
        // from the payment page finds it as it was.
        window.location.assign(data.url);
        return;
      }
      showError(data.detail || "Checkout failed, please try again.");
    } catch (e) {
      showError("The shop could not be reached. Please try again.");
    }
    pay.disabled = false; pay.textContent = "Pay now";
  });

  // The other way to pay: an order with a PaymentIntent, paid on the shop's own page.
  $("pay-here").addEventListener("click", async () => {
    const button = $("pay-here");
    button.disabled = true; showError("");
    const body = { items: Object.entries(cart).map(([product_id, quantity]) => ({ product_id, quantity })) };
    const email = $("email").value.trim();
    if (email) body.email = email;
    try {
      const res = await fetch("/api/payment-intents", { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const data = await res.json();
      if (res.status === 201) {
        cart = {}; save();
        window.location.assign("/pay/" + encodeURIComponent(data.order_id));
        return;
      }
      showError(data.detail || "The payment could not start, please try again.");
    } catch (e) {
      showError("The shop could not be reached. Please try again.");
    }
    button.disabled = false;
  });

  render();
})();
