// location-ops reception board: live over Server-Sent Events, redrawn whole after a reconnect.
// One source of markup: the page includes the board partial that this script re-fetches.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;
  var offline = document.getElementById("rx-offline");
  var sheet = document.getElementById("sheet");
  var flash = document.getElementById("flash");

  // A refused action answers 4xx with a sentence for the sheet (HX-Retarget): let htmx swap it.
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: false },
      { code: "...", swap: false, error: true }
    ];
  }

  function setOffline(flag) {
    if (offline) offline.hidden = !flag;
    document.body.classList.toggle("rx-stale", flag);
    document.body.setAttribute("data-live", flag ? "0" : "1");
  }

  var busy = false, again = false, timer = null;
  function redraw() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(board.getAttribute("data-board-url") || "/reception/board",
          { credentials: "same-origin", headers: { "HX-Request": "true" }, cache: "no-store" })
      .then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect) { window.location.assign(redirect); throw new Error("login"); }
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#board");
        var current = document.getElementById("board");
        if (fresh && current) {
          current.replaceWith(fresh);
          board = fresh;
          if (window.htmx) window.htmx.process(fresh);
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; redraw(); }
      });
  }
  function soon() {
    if (timer) return;
    timer = window.setTimeout(function () { timer = null; redraw(); }, 30);
  }

  var source = null, retry = null;
  function connect() {
    if (retry) { window.clearTimeout(retry); retry = null; }
    if (source) source.close();
    source = new EventSource("/api/v1/events");
    // Every (re)connection redraws the whole board: whatever happened meanwhile is shown.
    source.addEventListener("open", function () { setOffline(false); redraw(); });
    source.addEventListener("error", function () {
      setOffline(true);
      if (source.readyState === EventSource.CLOSED && !retry) {
        retry = window.setTimeout(connect, 3000);
      }
    });
    ["room", "log", "alarm", "device", "reload"].forEach(function (kind) { source.addEventListener(kind, soon); });
  }
  if (window.EventSource) connect();
  window.addEventListener("offline", function () { setOffline(true); });
  window.addEventListener("online", function () { connect(); });
  // A backstop for changes nobody announces (a worker's booking made on the phone, the clock passing a start).
  window.setInterval(soon, 60000);

  // The sheet (the confirm step): close without leaving the board.
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-sheet-close]");
    if (close && sheet && sheet.contains(close)) { event.preventDefault(); sheet.innerHTML = ""; }
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (flash && flash.firstElementChild) {
      window.setTimeout(function () { var f = document.getElementById("flash"); if (f) f.innerHTML = ""; }, 6000);
    }
  });
})();
