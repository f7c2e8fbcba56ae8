// Hygiene rounds: show a refused item answer (4xx: e.g. a problem without a note) in place
// instead of dropping it, which is what htmx does with error responses by default.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if (status >= 400 && status < 500 && target && target.classList && target.classList.contains("hy-item")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
