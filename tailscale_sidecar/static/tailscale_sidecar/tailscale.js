// Settings → Tailscale: keep the state section current without reloading.
// Polls the status API (every 2 s during a transition, 15 s otherwise); when
// anything changed, fetches the server-rendered fragment and swaps it in.
(function () {
  "use strict";

  var FAST_MS = 2000;
  var SLOW_MS = 15000;
  var region = document.getElementById("tailscale-state");

  // Confirmation for destructive forms (Disable, Reset, Revoke).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  if (!region) {
    return;
  }

  // Key-sorted JSON, so the page's embedded status and the API's compare equal.
  function canonical(value) {
    if (Array.isArray(value)) {
      return "[" + value.map(canonical).join(",") + "]";
    }
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (key) {
        return JSON.stringify(key) + ":" + canonical(value[key]);
      }).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  // The status the page was rendered from: only a real change causes a swap,
  // so an inline form error stays on screen.
  var initial = document.getElementById("tailscale-initial-status");
  var lastStatus = initial ? canonical(JSON.parse(initial.textContent)) : null;
  var timer = null;

  function fastPoll() {
    var state = region.querySelector("[data-fast-poll]");
    return state && state.getAttribute("data-fast-poll") === "true";
  }

  function userIsEditing() {
    // Never replace a form the owner is typing into.
    var active = document.activeElement;
    return active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, fastPoll() ? FAST_MS : SLOW_MS);
  }

  function swapFragment() {
    return fetch(region.getAttribute("data-fragment-url"), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("fragment " + response.status);
      }
      return response.text();
    }).then(function (html) {
      region.innerHTML = html;
      startCountdowns();
    });
  }

  function poll() {
    fetch(region.getAttribute("data-status-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        window.location.reload(); // session ended: let the server send us to login
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (status) {
      var text = status === null ? null : canonical(status);
      if (text !== null && text !== lastStatus && !userIsEditing()) {
        lastStatus = text;
        return swapFragment();
      }
      return null;
    }).catch(function () {
      // Server restarting or network hiccup: try again on the next tick.
    }).then(schedule);
  }

  function formatSeconds(seconds) {
    if (seconds <= 0) {
      return "now";
    }
    return "in " + seconds + " s";
  }

  var countdownTimer = null;
  function startCountdowns() {
    window.clearInterval(countdownTimer);
    var nodes = region.querySelectorAll("[data-countdown]");
    if (!nodes.length) {
      return;
    }
    function tick() {
      nodes.forEach(function (node) {
        var due = Date.parse(node.getAttribute("data-countdown"));
        var left = Math.ceil((due - Date.now()) / 1000);
        node.textContent = formatSeconds(left);
      });
    }
    tick();
    countdownTimer = window.setInterval(tick, 1000);
  }

  startCountdowns();
  poll();
})();
