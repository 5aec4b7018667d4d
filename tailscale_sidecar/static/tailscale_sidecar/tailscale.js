// Settings → Tailscale: keep the state section current without reloading.
// Listens to the status stream (server-sent events: the status on each change,
// and the newest event's id); when anything changed, fetches the
// server-rendered fragment and swaps it in. While the stream is down (refused,
// too many streams, a proxy that buffers), polls the status API instead: every
// 2 s during a transition, 15 s otherwise.
(function () {
  "use strict";

  var FAST_MS = 2000;
  var SLOW_MS = 15000;
  var STREAM_RETRY_MS = 5000;
  var region = document.getElementById("tailscale-state");

  // Confirmation for destructive forms (Disable, Reset, Revoke).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Copy buttons (the tailnet URL): the clipboard API needs a secure context,
  // which a plain-http tailnet address is not, so fall back to a selection.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var text = button.getAttribute("data-copy");
    function done() {
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
    }
    function fallback() {
      var field = document.createElement("textarea");
      field.value = text;
      field.setAttribute("readonly", "");
      field.style.position = "absolute";
      field.style.left = "-9999px";
      document.body.appendChild(field);
      field.select();
      var copied = document.execCommand("copy");
      document.body.removeChild(field);
      if (copied) {
        done();
        return;
      }
      // No clipboard at all: select the URL so the owner can copy it.
      var source = button.parentNode.querySelector("[data-copy-source]");
      if (source) {
        var range = document.createRange();
        range.selectNodeContents(source);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
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
  // The newest event the page shows (undefined: not known until the stream says).
  var timeline = region.querySelector("[data-latest-event]");
  var lastEvent = timeline ? JSON.parse(timeline.getAttribute("data-latest-event")) : undefined;
  var timer = null;
  var source = null;
  var streaming = false;
  var pendingSwap = false;

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
    if (!streaming) {
      timer = window.setTimeout(poll, fastPoll() ? FAST_MS : SLOW_MS);
    }
  }

  // A change seen while the owner types waits until the form loses focus.
  function changed(status) {
    var text = canonical(status);
    if (text === lastStatus) {
      return null;
    }
    lastStatus = text;
    if (userIsEditing()) {
      pendingSwap = true;
      return null;
    }
    return swapFragment();
  }

  region.addEventListener("focusout", function () {
    window.setTimeout(function () {
      if (pendingSwap && !userIsEditing()) {
        pendingSwap = false;
        swapFragment();
      }
    }, 0);
  });

  function swapFragment() {
    pendingSwap = false;
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
      showRelativeTimes();
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
      return status === null ? null : changed(status);
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

  function listen() {
    var url = region.getAttribute("data-stream-url");
    if (!url || !window.EventSource) {
      region.setAttribute("data-live", "poll");
      poll();
      return;
    }
    source = new EventSource(url);
    source.addEventListener("open", function () {
      streaming = true;
      region.setAttribute("data-live", "stream");
      window.clearTimeout(timer);
    });
    source.addEventListener("status", function (message) {
      changed(JSON.parse(message.data));
    });
    source.addEventListener("events", function (message) {
      var latest = JSON.parse(message.data).latest;
      if (lastEvent !== undefined && latest !== lastEvent) {
        if (userIsEditing()) {
          pendingSwap = true;
        } else {
          swapFragment();
        }
      }
      lastEvent = latest;
    });
    source.addEventListener("error", function () {
      // The stream ended (its lifetime, a restart) or was refused: poll until
      // it is back. EventSource reconnects by itself unless it gave up.
      streaming = false;
      region.setAttribute("data-live", "poll");
      poll();
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        window.setTimeout(listen, STREAM_RETRY_MS);
      }
    });
  }

  // "3 min ago" beside each event's absolute time, kept current.
  function relative(seconds) {
    if (seconds < 10) {
      return "just now";
    }
    if (seconds < 60) {
      return seconds + " s ago";
    }
    if (seconds < 3600) {
      return Math.floor(seconds / 60) + " min ago";
    }
    if (seconds < 86400) {
      return Math.floor(seconds / 3600) + " h ago";
    }
    var days = Math.floor(seconds / 86400);
    return days + (days === 1 ? " day ago" : " days ago");
  }

  function showRelativeTimes() {
    region.querySelectorAll("[data-relative]").forEach(function (node) {
      var at = Date.parse(node.getAttribute("data-relative"));
      node.textContent = relative(Math.max(0, Math.floor((Date.now() - at) / 1000)));
    });
  }

  startCountdowns();
  showRelativeTimes();
  window.setInterval(showRelativeTimes, 15000);
  listen();
})();
