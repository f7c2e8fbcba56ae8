// location-ops alarms: the hold-to-raise button, the staff alarm view (live over SSE, with sound),
// and staff navigation that keeps the alarm view, and so its armed sound, from page to page.
(function () {
  "use strict";
  if (window.locationOpsAlarms) return;
  window.locationOpsAlarms = true;

  // --- the hold-to-raise button (worker phone page): needs a deliberate hold of data-hold-ms ---
  // data-hold on the button: holding, sent, cancelled (a tap: the "not sent" hint shows), then idle
  // again twice the hold time after the tap, i.e. only once a tap's timer could no longer fire.
  var hold = document.getElementById("alarm-hold");
  if (hold) {
    var form = document.getElementById("alarm-raise-form");
    var shortTap = document.getElementById("alarm-hold-short");
    var needed = parseInt(hold.getAttribute("data-hold-ms") || "1500", 10);
    var fill = hold.querySelector(".alarm-hold-fill");
    if (fill) fill.style.transitionDuration = needed + "ms";
    var timer = null, settle = null;
    hold.setAttribute("data-hold", "idle");
    var start = function (event) {
      if (event) event.preventDefault();
      if (timer) return;
      if (settle) { window.clearTimeout(settle); settle = null; }
      if (shortTap) shortTap.hidden = true;
      hold.classList.add("holding");
      hold.setAttribute("data-hold", "holding");
      timer = window.setTimeout(function () {
        timer = null;
        hold.classList.remove("holding");
        hold.classList.add("sent");
        hold.setAttribute("data-hold", "sent");
        form.submit();
      }, needed);
    };
    var cancel = function () {
      if (!timer) return;
      window.clearTimeout(timer);
      timer = null;
      hold.classList.remove("holding");
      hold.setAttribute("data-hold", "cancelled");
      if (shortTap) shortTap.hidden = false;
      settle = window.setTimeout(function () {
        settle = null;
        if (shortTap) shortTap.hidden = true;
        hold.setAttribute("data-hold", "idle");
      }, needed * 2);
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

  // --- the staff alarm view ---
  var view = document.getElementById("alarm-view");
  var banner = document.getElementById("alarm-banner");
  if (!view || !banner) return;
  var body = document.body;
  var warning = document.getElementById("alarm-sound-warning");
  var notice = document.getElementById("alarm-notice");
  var lost = document.getElementById("alarm-live-lost");
  var wake = document.getElementById("alarm-wake");
  var audio = new Audio("/static/alarms.wav");
  audio.loop = true;
  audio.preload = "auto";
  var ARMED_KEY = "location-ops:alarm-sound-armed";
  var NEW_MS = 30000;
  var armed = false;
  var wasArmed = remembered();

  function remembered() {
    try { return window.sessionStorage.getItem(ARMED_KEY) === "1"; } catch (e) { return false; }
  }
  function remember() {
    try { window.sessionStorage.setItem(ARMED_KEY, "1"); } catch (e) { /* private mode: nothing kept */ }
  }
  function csrf() {
    return (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  }

  // What the sound is really doing, from the media element's own events: off, armed or playing.
  function soundState() {
    var audible = !audio.paused && !audio.muted && audio.volume > 0;
    body.setAttribute("data-alarm-sound", !armed ? "off" : audible ? "playing" : "armed");
  }
  ["playing", "pause", "volumechange", "ended"].forEach(function (kind) { audio.addEventListener(kind, soundState); });

  function showArmed() {
    warning.hidden = armed;
    // After a reload the browser may refuse to play until the next tap: say that it was on before.
    var reloadedOff = wasArmed && !armed;
    warning.querySelectorAll("[data-when]").forEach(function (text) {
      text.hidden = (text.getAttribute("data-when") === "lost") !== reloadedOff;
    });
    body.classList.toggle("alarm-sound-armed", armed);
    soundState();
  }
  function setArmed(flag) {
    armed = flag;
    if (flag) { wasArmed = true; remember(); }
    showArmed();
  }

  function sound(restart) {
    var sounding = banner.querySelector("[data-sounding]") !== null;
    view.classList.toggle("alarm-urgent", sounding);
    body.classList.toggle("alarm-active", sounding);
    body.classList.toggle("alarm-open", banner.querySelector("[data-alarm-id]") !== null);
    if (sounding && armed) {
      if (restart) audio.currentTime = 0;
      audio.muted = false;
      if (audio.paused) audio.play().catch(function () { setArmed(false); });
    } else if (!audio.paused) {
      audio.pause();
    }
  }

  // A tap arms the sound (and plays it briefly, so the person hears that it works).
  document.getElementById("alarm-arm").addEventListener("click", function () {
    audio.muted = false;
    audio.play().then(function () { setArmed(true); sound(false); })
      .catch(function () { setArmed(false); });
  });
  // Without a tap: a muted play tells whether this browser lets the page sound (after an earlier
  // tap on the site, or a kiosk policy). If not, the notice stays, inside the alarm view.
  function probe() {
    audio.muted = true;
    audio.play().then(function () { setArmed(true); sound(false); })
      .catch(function () { audio.muted = false; setArmed(false); });
  }

  // --- the list: every open alarm; a new one is announced again (sound restarts, it flashes) ---
  var known = null;
  var firstSeen = {};
  var unmark = null;
  function markNew() {
    var now = Date.now();
    banner.querySelectorAll("[data-alarm-id]").forEach(function (item) {
      var seen = firstSeen[item.getAttribute("data-alarm-id")];
      var isNew = seen !== undefined && now - seen < NEW_MS && item.getAttribute("data-state") === "raised";
      item.classList.toggle("alarm-new", isNew);
      var mark = item.querySelector(".alarm-new-mark");
      if (mark) mark.hidden = !isNew;
    });
  }
  function show(html) {
    banner.innerHTML = html;
    var items = banner.querySelectorAll("[data-alarm-id]");
    var ids = [], arrived = [];
    items.forEach(function (item) {
      var id = item.getAttribute("data-alarm-id");
      ids.push(id);
      if (known !== null && known.indexOf(id) < 0 && item.getAttribute("data-state") === "raised") arrived.push(id);
    });
    var added = arrived.length;
    if (added) {
      // Only the latest arrivals carry the marker, so the one that just came in stands out.
      var now = Date.now();
      firstSeen = {};
      arrived.forEach(function (id) { firstSeen[id] = now; });
    }
    known = ids;
    markNew();
    if (added) {
      view.classList.remove("alarm-flash");
      void view.offsetWidth;  // restart the flash animation
      view.classList.add("alarm-flash");
      body.setAttribute("data-alarm-announced", String(parseInt(body.getAttribute("data-alarm-announced") || "0", 10) + added));
      if (unmark) window.clearTimeout(unmark);
      unmark = window.setTimeout(markNew, NEW_MS);
    }
    sound(added > 0);
  }

  var noticeTimer = null;
  function tell(sentence) {
    notice.textContent = sentence;
    notice.hidden = false;
    if (noticeTimer) window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(function () { notice.hidden = true; }, 15000);
  }
  function isBannerPartial(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    return holder.content.querySelector("[data-bridge]") !== null;
  }
  // The sentence of a refused action: the error page's message, or an API's JSON detail.
  function sentenceOf(text) {
    try { var detail = JSON.parse(text).detail; if (typeof detail === "string") return detail; } catch (e) { /* HTML */ }
    var page = new DOMParser().parseFromString(text, "text/html");
    var message = page.querySelector(".message");
    return message ? message.textContent.trim() : "";
  }

  var pending = null, retry = null;
  function refresh() {
    if (pending) { pending.again = true; return; }
    pending = { again: false };
    if (retry) { window.clearTimeout(retry); retry = null; }
    fetch("/alarms/banner", { credentials: "same-origin", headers: { "HX-Request": "true" }, cache: "no-store" })
      .then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect) { window.location.assign(redirect); return; }
        if (!response.ok) throw new Error(String(response.status));
        return response.text().then(function (html) {
          if (!isBannerPartial(html)) throw new Error("not the banner");
          show(html);
        });
      })
      .catch(function () {
        // Keep the list and the sound as they are; say so, and try again shortly.
        tell(view.getAttribute("data-msg-unreachable"));
        if (!retry) retry = window.setTimeout(function () { retry = null; refresh(); }, 3000);
      })
      .then(function () { var again = pending.again; pending = null; if (again) refresh(); });
  }

  // Acknowledge / resolve without leaving the page. Whatever the answer, the list and the sound stay:
  // a refusal (409 when a colleague resolved it first, 404, 5xx) or no answer shows a sentence and
  // the list is fetched again.
  banner.addEventListener("submit", function (event) {
    var target = event.target;
    if (!target.hasAttribute || !target.hasAttribute("data-alarm-action")) return;
    event.preventDefault();
    var buttons = target.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    var enable = function () { buttons.forEach(function (button) { button.disabled = false; }); };
    fetch(target.action, { method: "POST", credentials: "same-origin", body: new FormData(target),
                           headers: { "X-CSRF-Token": csrf(), "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.text().then(function (text) {
          if (response.ok && isBannerPartial(text)) {
            notice.hidden = true;
            show(text);
            return;
          }
          enable();
          tell(sentenceOf(text) || view.getAttribute("data-msg-failed"));
          refresh();
        });
      })
      .catch(function () {
        enable();
        tell(view.getAttribute("data-msg-unreachable"));
        refresh();
      });
  });

  // --- keep the screen on (Screen Wake Lock), asked again whenever the page is shown again ---
  var lock = null;
  function wakeNotice(kind) {
    wake.hidden = !kind;
    wake.querySelectorAll("[data-when]").forEach(function (text) { text.hidden = text.getAttribute("data-when") !== kind; });
    body.setAttribute("data-wake-lock", kind || "on");
  }
  function keepAwake() {
    if (!navigator.wakeLock || typeof navigator.wakeLock.request !== "function") { wakeNotice("unsupported"); return; }
    if (lock && !lock.released) return;
    navigator.wakeLock.request("screen").then(function (sentinel) {
      lock = sentinel;
      wakeNotice(null);
      sentinel.addEventListener("release", function () { lock = null; });
    }).catch(function () { wakeNotice("refused"); });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") keepAwake();
  });

  // --- staff navigation without a page load ---
  // A page load would drop the armed sound (browsers allow sound only after a tap on that page),
  // so the menu swaps the header and <main> and keeps this view. Page scripts run once per
  // document: a page's own script is added the first time the page is shown, and elements with an
  // id come back as the same element objects when a page is shown again, so that script's
  // references stay valid. Anything unexpected falls back to an ordinary page load.
  var current = location.pathname + location.search;
  var keptByPath = {};
  function sameOrigin(url) { return url.origin === location.origin; }
  function adopt(fresh, path) {
    var kept = keptByPath[path];
    if (!kept) return;
    var byId = {};
    kept.querySelectorAll("[id]").forEach(function (old) { byId[old.id] = old; });
    fresh.querySelectorAll("[id]").forEach(function (element) {
      var old = byId[element.id];
      if (!old || old.tagName !== element.tagName || /^(INPUT|SELECT|TEXTAREA)$/.test(old.tagName)) return;
      while (old.attributes.length) old.removeAttribute(old.attributes[0].name);
      Array.prototype.forEach.call(element.attributes, function (attribute) { old.setAttribute(attribute.name, attribute.value); });
      old.replaceChildren.apply(old, Array.prototype.slice.call(element.childNodes));
      element.replaceWith(old);
    });
  }
  function stylesheets(doc) {
    return Array.prototype.map.call(doc.head.querySelectorAll("link[rel=stylesheet]"), function (link) { return link.href; });
  }
  function swap(doc, url, push) {
    var freshMain = doc.getElementById("main");
    var main = document.getElementById("main");
    var freshTop = doc.querySelector("header.topbar");
    var top = document.querySelector("header.topbar");
    if (!freshMain || !main || !doc.getElementById("alarm-view")) return false;
    var loaded = Array.prototype.map.call(document.querySelectorAll("script[src]"), function (s) { return s.src; });
    var wanted = stylesheets(doc);
    var have = stylesheets(document);
    var adding = wanted.filter(function (href) { return have.indexOf(href) < 0; }).map(function (href) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      return new Promise(function (resolve) {
        link.addEventListener("load", resolve);
        link.addEventListener("error", resolve);
        document.head.appendChild(link);
      });
    });
    Promise.all(adding).then(function () {
      keptByPath[current.split("?")[0]] = main;
      var path = url.pathname;
      adopt(freshMain, path);
      document.adoptNode(freshMain);
      main.replaceWith(freshMain);
      if (freshTop && top) { document.adoptNode(freshTop); top.replaceWith(freshTop); }
      Array.prototype.forEach.call(document.head.querySelectorAll("link[rel=stylesheet]"), function (link) {
        if (wanted.indexOf(link.href) < 0 && !view.contains(link)) link.remove();
      });
      document.title = doc.title;
      var freshToken = doc.querySelector("meta[name=csrf-token]");
      var token = document.querySelector("meta[name=csrf-token]");
      if (freshToken && token) token.content = freshToken.content;
      body.className = doc.body.className;
      sound(false);
      showArmed();
      current = url.pathname + url.search;
      if (push) history.pushState({ softNavigation: true }, "", url.href);
      window.scrollTo(0, 0);
      if (window.htmx) { window.htmx.process(freshMain); if (freshTop) window.htmx.process(freshTop); }
      Array.prototype.forEach.call(doc.head.querySelectorAll("script[src]"), function (script) {
        if (loaded.indexOf(script.src) >= 0) return;
        var added = document.createElement("script");
        added.src = script.src;
        document.head.appendChild(added);
      });
      body.setAttribute("data-soft-navigations", String(parseInt(body.getAttribute("data-soft-navigations") || "0", 10) + 1));
    });
    return true;
  }
  function go(href, push) {
    fetch(href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("text/html") < 0) throw new Error("not a page");
        return response.text().then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          if (!swap(doc, new URL(response.url), push)) throw new Error("not a staff page");
        });
      })
      .catch(function () { window.location.assign(href); });
  }
  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest && event.target.closest("header.topbar .menu a[href], header.topbar a.brand");
    if (!link || link.target || link.hasAttribute("download") || !sameOrigin(link)) return;
    event.preventDefault();
    go(link.href, true);
  });
  window.addEventListener("popstate", function () {
    if (location.pathname + location.search === current) return;  // only the #fragment changed
    go(location.href, false);
  });

  showArmed();
  probe();
  keepAwake();
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
