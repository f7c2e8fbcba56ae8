// location-ops alarms: the staff banner (live over SSE, with sound) and the hold-to-raise button.
(function () {
  "use strict";
  if (window.locationOpsAlarms) return;
  window.locationOpsAlarms = true;

  // --- the hold-to-raise button (worker phone page): needs a deliberate ~1.5 s hold ---
  var hold = document.getElementById("alarm-hold");
  if (hold) {
    var form = document.getElementById("alarm-raise-form");
    var needed = parseInt(hold.getAttribute("data-hold-ms") || "1500", 10);
    var timer = null;
    var start = function (event) {
      if (event) event.preventDefault();
      if (timer) return;
      hold.classList.add("holding");
      timer = window.setTimeout(function () {
        timer = null;
        hold.classList.remove("holding");
        hold.classList.add("sent");
        form.submit();
      }, needed);
    };
    var cancel = function () {
      if (timer) { window.clearTimeout(timer); timer = null; }
      hold.classList.remove("holding");
    };
    hold.addEventListener("pointerdown", start);
    hold.addEventListener("pointerup", cancel);
    hold.addEventListener("pointerleave", cancel);
    hold.addEventListener("pointercancel", cancel);
    hold.addEventListener("contextmenu", function (event) { event.preventDefault(); });
    // A click or Enter alone never raises: only the hold does.
    form.addEventListener("submit", function (event) {
      if (!hold.classList.contains("sent")) event.preventDefault();
    });
    hold.addEventListener("keydown", function (event) {
      if ((event.key === "Enter" || event.key === " ") && !event.repeat) start(event);
    });
    hold.addEventListener("keyup", cancel);
  }

  // --- the worker's own alarms: refreshed live, so they see that staff are coming ---
  var mine = document.getElementById("alarm-mine");
  if (mine && window.EventSource && !document.getElementById("alarm-banner")) {
    var refreshMine = function () {
      fetch(mine.getAttribute("data-refresh"), { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
        .then(function (html) { mine.innerHTML = html; })
        .catch(function () {});
    };
    var own = new EventSource("/api/v1/events");
    own.addEventListener("alarm", refreshMine);
    own.addEventListener("open", refreshMine);
  }

  // --- the staff banner ---
  var banner = document.getElementById("alarm-banner");
  if (!banner) return;
  var warning = document.getElementById("alarm-sound-warning");
  var lost = document.getElementById("alarm-live-lost");
  var audio = new Audio("/static/alarms.wav");
  audio.loop = true;
  audio.preload = "auto";
  var armed = false;
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";

  function showArmed() {
    if (warning) warning.hidden = armed;
    document.body.classList.toggle("alarm-sound-armed", armed);
  }

  function sound() {
    var sounding = banner.querySelector("[data-sounding]") !== null;
    document.body.classList.toggle("alarm-active", sounding);
    document.body.classList.toggle("alarm-open", banner.querySelector("[data-alarm-id]") !== null);
    if (sounding && armed) {
      if (audio.paused) { audio.currentTime = 0; audio.play().catch(function () { armed = false; showArmed(); }); }
    } else if (!audio.paused) {
      audio.pause();
    }
  }

  var pending = null;
  function refresh() {
    if (pending) { pending.again = true; return; }
    pending = { again: false };
    fetch("/alarms/banner", { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
      .then(function (html) { banner.innerHTML = html; sound(); })
      .catch(function () {})
      .then(function () { var again = pending.again; pending = null; if (again) refresh(); });
  }

  // Try to arm silently: allowed when this browser already had a tap on this site.
  function arm(fromTap) {
    var volume = audio.volume;
    if (!fromTap) audio.volume = 0;
    return audio.play().then(function () {
      armed = true;
      if (!banner.querySelector("[data-sounding]")) audio.pause();
      audio.volume = volume;
      showArmed();
      sound();
    }).catch(function () { audio.volume = volume; armed = false; showArmed(); });
  }
  document.getElementById("alarm-arm").addEventListener("click", function () { arm(true); });
  showArmed();
  arm(false);

  // Acknowledge / resolve without leaving the page (the sound stays armed).
  banner.addEventListener("submit", function (event) {
    var target = event.target;
    if (!target.hasAttribute || !target.hasAttribute("data-alarm-action")) return;
    event.preventDefault();
    if (target.querySelector(".alarm-ack")) { audio.pause(); }
    fetch(target.action, { method: "POST", credentials: "same-origin", body: new FormData(target),
                           headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) { banner.innerHTML = html; sound(); })
      .catch(function () { refresh(); });
  });

  refresh();
  if (!window.EventSource) return;
  var source = new EventSource("/api/v1/events");
  source.addEventListener("open", function () { if (lost) lost.hidden = true; refresh(); });
  source.addEventListener("error", function () { if (lost) lost.hidden = false; });
  source.addEventListener("alarm", refresh);
  source.addEventListener("reload", refresh);
  source.addEventListener("device", function (event) {
    try { if (JSON.parse(event.data).what === "bridge") refresh(); } catch (e) { refresh(); }
  });
})();
