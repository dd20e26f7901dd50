// Starts Swagger UI on the /docs page. A file of its own, not an inline script: the
// page's Content-Security-Policy runs same-origin script files only.
"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json", // relative: works under a proxy's path prefix too
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no call to an outside validator
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
