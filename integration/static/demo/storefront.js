// Demo storefront: everything below goes through the public REST API (/api/v1) with the
// demo storefront token and X-Customer-Id, exactly as a storefront server would call it.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("demo-config").textContent);
  const $ = (id) => document.getElementById(id);
  const TERMINAL = new Set(["DELIVERED", "CANCELLED", "CANCELED"]);
  let customerId = "";
  let cart = new Map(); // strainId -> {name, grams, price}
  let checkoutKey = null; // one Idempotency-Key per cart submission, reused on a retry
  let trackTimer = null;
  let trackedKey = "";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "onclick") node.addEventListener("click", v);
      else if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  async function api(method, path, body, headers) {
    const h = { Authorization: "Token " + cfg.token, Accept: "application/json", ...(headers || {}) };
    if (customerId) h["X-Customer-Id"] = customerId;
    if (body !== undefined) h["Content-Type"] = "application/json";
    const r = await fetch(cfg.apiBase + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) {
      const err = new Error((data.error && data.error.message) || r.status + " " + r.statusText);
      err.code = data.error && data.error.code;
      throw err;
    }
    return data;
  }

  function newKey() {
    return (crypto.randomUUID && crypto.randomUUID()) || "k-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  function money(p) {
    return p ? p.amount + " " + p.currency : "";
  }

  // --- customer ----------------------------------------------------------------------------
  for (const c of cfg.customers) {
    $("customer").append(el("option", { value: c.id }, `${c.name} (${c.country})`));
  }
  $("customer").addEventListener("change", async (e) => {
    customerId = e.target.value;
    cart = new Map();
    checkoutKey = null;
    stopTracking();
    $("tracker").textContent = "Place an order or pick one below.";
    $("placement").textContent = "";
    renderCart();
    if (!customerId) return;
    try {
      const me = await api("GET", "/me");
      const c = me.client || {};
      $("profile").textContent = `${c.firstName || ""} ${c.lastName || ""} · ${c.readableStatus || "no Dr Green client yet"} · ships to ${c.shippingCountryCode || "?"}`;
      $("country").textContent = c.shippingCountryCode ? `for ${c.shippingCountryCode}` : "";
      await Promise.all([loadStrains(), loadOrders()]);
    } catch (err) {
      $("profile").textContent = "Could not load the customer: " + err.message;
    }
  });

  // --- catalogue and cart --------------------------------------------------------------------
  async function loadStrains() {
    const body = $("strains").querySelector("tbody");
    body.replaceChildren();
    const page = await api("GET", "/strains");
    for (const s of page.results) {
      const grams = el("input", { type: "number", min: "1", step: "1", value: "1", "aria-label": "grams of " + s.name });
      const add = el("button", { "data-testid": "add-" + s.id, onclick: () => {
        const g = Math.max(1, parseInt(grams.value || "1", 10));
        const line = cart.get(s.id) || { name: s.name, grams: 0, price: s.price };
        line.grams += g;
        cart.set(s.id, line);
        checkoutKey = null; // a different cart is a different checkout
        renderCart();
      } }, "Add");
      body.append(el("tr", { "data-strain-id": s.id },
        el("td", {}, s.name), el("td", {}, s.type || ""), el("td", {}, s.thc || ""),
        el("td", {}, money(s.price)), el("td", {}, (s.stockQuantity || "0") + " g"),
        el("td", {}, grams), el("td", {}, add)));
    }
    if (!page.results.length) body.append(el("tr", {}, el("td", { colspan: "7" }, "No strains for this country.")));
  }

  function renderCart() {
    const ul = $("cart");
    ul.replaceChildren();
    let total = 0;
    let currency = "";
    for (const [id, line] of cart) {
      const amount = line.price ? parseFloat(line.price.amount) * line.grams : 0;
      total += amount;
      currency = line.price ? line.price.currency : currency;
      ul.append(el("li", { "data-strain-id": id }, `${line.name} × ${line.grams} g `,
        el("button", { class: "secondary", onclick: () => { cart.delete(id); checkoutKey = null; renderCart(); } }, "remove")));
    }
    $("cart-total").textContent = cart.size ? `Estimated total: ${total.toFixed(2)} ${currency}` : "Your cart is empty.";
    $("checkout").disabled = cart.size === 0 || !customerId;
  }

  // --- checkout ------------------------------------------------------------------------------
  $("checkout").addEventListener("click", async () => {
    if (!cart.size) return;
    checkoutKey = checkoutKey || newKey();
    $("checkout").disabled = true;
    const lines = [...cart].map(([strainId, l]) => ({ strainId, quantity: String(l.grams) }));
    try {
      let p = await api("POST", "/checkout", { lines }, { "Idempotency-Key": checkoutKey });
      showPlacement(p);
      while (["new", "submitting", "unknown", "retry_safe"].includes(p.state)) {
        await sleep(1000);
        p = await api("GET", "/placements/" + p.correlationId);
        showPlacement(p);
      }
      if (p.state === "placed" && p.order) {
        cart = new Map();
        checkoutKey = null;
        renderCart();
        track(p.order.id);
        loadOrders();
      }
    } catch (err) {
      $("placement").replaceChildren(el("span", { class: "error" }, `Checkout failed: ${err.message}${err.code ? " (" + err.code + ")" : ""}`));
      $("checkout").disabled = false;
    }
  });

  function showPlacement(p) {
    const label = { new: "Saved, sending to Dr Green…", submitting: "Sending to Dr Green…", placed: "Placed with Dr Green.",
      unknown: "Checking with Dr Green whether the order arrived…", retry_safe: "Retrying…", needs_staff: "Our staff will check this order.",
      rejected: "Not placed: " + ((p.rejection && p.rejection.message) || "") }[p.state] || p.state;
    $("placement").replaceChildren(el("span", { "data-state": p.state }, label), " ",
      el("span", { class: "muted" }, "correlation id " + p.correlationId));
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // --- orders and the live tracker -------------------------------------------------------------
  async function loadOrders() {
    const page = await api("GET", "/orders");
    const ul = $("orders");
    ul.replaceChildren();
    for (const o of page.results) {
      ul.append(el("li", { "data-order-id": o.id },
        el("a", { href: "#", onclick: (e) => { e.preventDefault(); track(o.id); } }, o.invoiceNumber || o.id),
        " ", el("span", { class: "muted" }, `${o.displayStatus ? o.displayStatus.label : o.orderStatus} · ${o.createdAt.slice(0, 10)}`)));
    }
    if (!page.results.length) ul.append(el("li", { class: "muted" }, "No orders yet."));
  }

  function stopTracking() {
    if (trackTimer) clearTimeout(trackTimer);
    trackTimer = null;
    trackedKey = "";
  }

  // What the storefront server (the demo's webhook receiver) was told about the order.
  async function loadWebhooks(orderId) {
    const r = await fetch(cfg.webhookEvents + "?order=" + encodeURIComponent(orderId), { headers: { Accept: "application/json" } });
    if (!r.ok) return;
    const data = await r.json();
    const ol = $("webhooks");
    ol.replaceChildren();
    for (const e of data.events) {
      const d = e.data || {};
      const what = d.displayStatus ? ` → ${d.displayStatus}` : d.state ? ` → ${d.state}` : "";
      ol.append(el("li", { "data-type": e.type, "data-webhook-id": e.id },
        el("code", {}, e.type), what + (d.sequence ? ` (#${d.sequence})` : "") + " ",
        el("span", { class: "muted" }, `${(e.timestamp || "").slice(11, 19)} · ${e.id}`)));
    }
    if (!data.events.length) ol.append(el("li", { class: "muted" }, "Nothing received yet."));
  }

  function track(orderId) {
    stopTracking();
    const tick = async () => {
      loadWebhooks(orderId).catch(() => {});
      try {
        const s = await api("GET", `/orders/${orderId}/status`);
        const key = [s.adminApproval, s.paymentStatus, s.orderStatus].join("/");
        if (key !== trackedKey) {
          trackedKey = key;
          const detail = await api("GET", `/orders/${orderId}`);
          renderTracker(s, detail);
          loadOrders();
        } else {
          renderFreshness(s);
        }
        if (TERMINAL.has(s.orderStatus) || s.adminApproval === "REJECTED") return; // nothing more will happen
      } catch (err) {
        $("tracker").append(el("div", { class: "error" }, err.message));
      }
      trackTimer = setTimeout(tick, cfg.pollMs);
    };
    tick();
  }

  function renderTracker(s, detail) {
    const history = el("ol", { "data-testid": "history" });
    for (const h of detail.history || []) {
      history.append(el("li", {}, `${h.displayStatus ? h.displayStatus.label : ""} `,
        el("span", { class: "muted" }, `(${h.adminApproval}/${h.paymentStatus}/${h.orderStatus}, seen ${h.detectedAt.slice(11, 19)})`)));
    }
    $("tracker").dataset.orderId = s.id;
    $("tracker").replaceChildren(
      el("div", { class: "status", "data-testid": "tracker-status", "data-code": s.displayStatus ? s.displayStatus.code : "" },
        s.displayStatus ? s.displayStatus.label : s.orderStatus),
      el("div", { "data-testid": "tracker-trio" },
        el("span", { class: "pill" }, "approval " + s.adminApproval),
        el("span", { class: "pill" }, "payment " + s.paymentStatus),
        el("span", { class: "pill" }, "order " + s.orderStatus)),
      el("div", { class: "muted" }, "Order " + (s.invoiceNumber || s.id)),
      el("div", { class: "muted", id: "freshness" }),
      history);
    renderFreshness(s);
  }

  function renderFreshness(s) {
    const f = s.freshness || {};
    const node = $("freshness");
    if (node) node.textContent = `mirror copy ${Math.round(f.ageSeconds || 0)} s old${f.stale ? " (refresh " + f.refresh + ")" : ""}`;
  }

  renderCart();
})();
