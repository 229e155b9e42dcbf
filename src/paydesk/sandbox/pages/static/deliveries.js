// The delivery timeline: reads /v1/test_helpers/deliveries with the key typed in (kept in this
// tab's sessionStorage only) and redraws every second. Text goes in with textContent: event
// types and response bodies come from receivers and are never treated as HTML.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var key = document.getElementById("key");
  var table = document.getElementById("timeline");
  var body = table.querySelector("tbody");
  var status = document.getElementById("status");
  var timer = null;
  key.value = sessionStorage.getItem("paydesk-sandbox-key") || "";

  function cell(row, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function keep(d) {
    var type = document.getElementById("type").value.trim();
    var outcome = document.getElementById("outcome").value;
    if (type && d.event_type.indexOf(type) !== 0) return false;
    if (outcome === "ok" && !d.delivered) return false;
    if (outcome === "failed" && d.delivered) return false;
    if (outcome === "chaos" && !(d.chaos && d.chaos.length)) return false;
    return true;
  }

  function draw(items) {
    body.textContent = "";
    var shown = items.filter(keep);
    status.textContent += shown.length === items.length ? "" : ", " + shown.length + " shown";
    shown.forEach(function (d) {
      var row = document.createElement("tr");
      cell(row, new Date(d.created * 1000).toLocaleTimeString());
      var ev = cell(row, d.event_type + " ");
      var code = document.createElement("code");
      code.textContent = d.event;
      ev.appendChild(code);
      cell(row, d.webhook_endpoint);
      cell(row, String(d.attempt));
      cell(row, d.status_code ? String(d.status_code) : (d.error || "no answer"), d.delivered ? "ok" : "failed");
      cell(row, d.duration_ms + " ms");
      cell(row, d.response_body || "", "excerpt");
      var chaos = cell(row, "");
      (d.chaos || []).forEach(function (label) {
        var tag = document.createElement("span");
        tag.className = "chaos";
        tag.textContent = label;
        chaos.appendChild(tag);
      });
      body.appendChild(row);
    });
    table.hidden = false;
  }

  function load() {
    var params = new URLSearchParams({limit: "100"});
    var endpoint = document.getElementById("endpoint").value.trim();
    if (endpoint) params.set("webhook_endpoint", endpoint);
    fetch("/v1/test_helpers/deliveries?" + params, {headers: {Authorization: "Bearer " + key.value}})
      .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
      .then(function (res) {
        if (res[0] !== 200) { status.textContent = (res[1].error || {}).message || "Request failed"; return; }
        status.textContent = res[1].data.length + " attempts (newest first)" + (res[1].has_more ? ", showing the latest 100" : "");
        draw(res[1].data);
      })
      .catch(function () { status.textContent = "The sandbox did not answer."; });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem("paydesk-sandbox-key", key.value);
    if (timer) clearInterval(timer);
    load();
    timer = setInterval(load, 1000);
  });
  ["type", "endpoint", "outcome"].forEach(function (id) {
    document.getElementById(id).addEventListener(id === "outcome" ? "change" : "input", function () {
      if (timer) load();  // a filter applies at once, not at the next refresh
    });
  });
  if (key.value) form.requestSubmit();
})();
