// location-ops: small behaviours shared by all pages. No inline scripts (CSP).
(function () {
  "use strict";

  // Quick exit: leave for a neutral site and drop this page from history.
  function quickExit(event) {
    var link = document.getElementById("quick-exit");
    if (!link) return;
    if (event) event.preventDefault();
    document.body.innerHTML = "";
    // Remembered for this tab: pages reached with Back afterwards leave too (quick-exit.js).
    try {
      window.sessionStorage.setItem("location-ops-quick-exit", link.href);
    } catch (error) { /* storage blocked: leave all the same */ }
    window.location.replace(link.href);
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#quick-exit")) quickExit(event);
  });
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 600) quickExit(event);
    lastEscape = now;
  });

  // A form shown again with errors: focus the first field that needs a change (or the form's own sentence).
  function focusFirstError(root) {
    var field = root.querySelector('[aria-invalid="true"]');
    var sentence = field || root.querySelector(".form-errors");
    if (!sentence) return;
    if (!field) sentence.setAttribute("tabindex", "-1");
    sentence.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusFirstError(document); });
  } else {
    focusFirstError(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail && event.detail.elt) focusFirstError(event.detail.elt);
  });

  // Destructive actions ask first: <form data-confirm="Really?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // A table wider than the screen scrolls inside itself (app.css); one that does is made
  // reachable by keyboard, so it can be scrolled without a pointer (WCAG 2.1.1).
  function scrollableTables() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) table.setAttribute("tabindex", "0");
      else if (table.getAttribute("tabindex") === "0") table.removeAttribute("tabindex");
    });
  }
  document.addEventListener("DOMContentLoaded", scrollableTables);
  window.addEventListener("resize", scrollableTables);
  document.addEventListener("htmx:afterSettle", scrollableTables);
})();
