// Starts Swagger UI on the API's schema (its address is on the container, not in the script).
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: container.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    // Read-only and anonymous: "Try it out" works without credentials.
    supportedSubmitMethods: ["get"],
    validatorUrl: null,
  });
})();
