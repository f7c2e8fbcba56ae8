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

  // Destructive actions ask first: <form data-confirm="Really?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
})();
