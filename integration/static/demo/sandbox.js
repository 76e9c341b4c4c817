// "Play Dr Green": lists the demo customers' orders as the sandbox holds them and sends one
// of a fixed set of actions through the demo-only server-side proxy (which holds the
// sandbox's control token; the browser never sees it).
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("demo-config").textContent);
  const $ = (id) => document.getElementById(id);
  const FLOW = { PENDING: ["process", "ship", "deliver"], PROCESSING: ["ship", "deliver"], SHIPPED: ["deliver"] };
  const LABEL = { approve: "Approve", reject: "Reject", pay: "Mark paid", "fail-payment": "Payment failed",
    process: "Processing", ship: "Ship", deliver: "Deliver" };

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "onclick") node.addEventListener("click", v);
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function actionsFor(o) {
    const out = [];
    if (o.adminApproval === "PENDING") out.push("approve", "reject");
    if (o.adminApproval === "REJECTED") return out;
    if (o.paymentStatus !== "PAID") out.push("pay", "fail-payment");
    if (o.adminApproval === "VERIFIED") out.push(...(FLOW[o.orderStatus] || []));
    return out.filter((a) => cfg.actions.includes(a));
  }

  async function act(orderId, action, button) {
    button.disabled = true;
    const r = await fetch(`api/orders/${orderId}/${action}`, { method: "POST", headers: { "X-CSRFToken": csrf() } });
    const data = await r.json().catch(() => ({}));
    $("sandbox-status").textContent = r.ok ? `${LABEL[action]}: done. The store will see it at its next poll.`
      : `${LABEL[action]} refused: ${data.error || data.message || r.status}`;
    await load();
  }

  async function load() {
    const r = await fetch("api/orders");
    const data = await r.json().catch(() => ({}));
    const body = $("sandbox-orders").querySelector("tbody");
    if (!r.ok) { $("sandbox-status").textContent = data.error || "Could not load orders."; return; }
    body.replaceChildren();
    for (const o of data.orders) {
      const buttons = el("td", {});
      for (const a of actionsFor(o)) {
        buttons.append(el("button", { "data-action": a, class: a === "reject" || a === "fail-payment" ? "danger" : "",
          onclick: (e) => act(o.id, a, e.target) }, LABEL[a]));
      }
      body.append(el("tr", { "data-order-id": o.id },
        el("td", {}, (o.createdAt || "").replace("T", " ").slice(0, 16)), el("td", {}, `${o.customer} (${o.country})`),
        el("td", {}, o.invoiceNumber || ""), el("td", { "data-field": "adminApproval" }, o.adminApproval),
        el("td", { "data-field": "paymentStatus" }, o.paymentStatus), el("td", { "data-field": "orderStatus" }, o.orderStatus),
        buttons));
    }
  }

  load();
  setInterval(load, cfg.pollMs * 3);
})();
