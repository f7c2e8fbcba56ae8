// Start Swagger UI on /api/v1/docs. A file of its own, not an inline script: the CSP
// allows scripts from 'self' only. Everything it loads is the app's own.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The public validator is another site: no badge, no request to it.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
