// Success page: polls the order until it is fulfilled, then shows the access links.
(function () {
  "use strict";
  const box = document.getElementById("order");
  const orderId = box.dataset.orderId;
  const labels = JSON.parse(box.dataset.labels || "{}");
  const done = (s) => s === "fulfilled" || s === "refunded" || s === "expired";
  let delay = 1000;

  function show(order) {
    document.getElementById("status").textContent = labels[order.status] || order.status;
    box.dataset.status = order.status;
    const paid = ["paid", "fulfilled", "partially_refunded", "refunded"].includes(order.status);
    // The cart was kept while the buyer might come back to it; paid, it is done with.
    if (paid) localStorage.removeItem("paydesk-cart");
    document.getElementById("step-paid").classList.toggle("done", paid);
    document.getElementById("step-fulfilled").classList.toggle("done", order.status === "fulfilled");
    if (order.access.length) {
      const ul = document.getElementById("access-links");
      ul.innerHTML = "";
      for (const a of order.access) {
        const li = document.createElement("li"), link = document.createElement("a");
        link.className = "btn btn-primary"; link.href = a.url; link.textContent = a.name;
        link.dataset.testid = "access-link";
        li.appendChild(link); ul.appendChild(li);
      }
      document.getElementById("access").hidden = false;
    }
    document.getElementById("waiting").hidden = done(order.status);
    document.getElementById("confirmed").hidden =
      order.status !== "fulfilled" || order.access.length > 0;
  }

  async function poll() {
    try {
      const res = await fetch("/api/orders/" + encodeURIComponent(orderId));
      if (res.ok) {
        const order = await res.json();
        show(order);
        if (done(order.status)) return;
      }
    } catch (e) { /* offline for a moment: try again */ }
    delay = Math.min(delay * 1.5, 5000);
    setTimeout(poll, delay);
  }

  if (["paid", "fulfilled"].includes(box.dataset.status)) localStorage.removeItem("paydesk-cart");
  if (!done(box.dataset.status)) setTimeout(poll, 500);
})();
