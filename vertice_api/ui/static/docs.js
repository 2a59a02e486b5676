// Swagger UI's initializer for /docs (a file: the page's Content-Security-Policy runs no
// inline script). The bundle comes from npm's swagger-ui-dist, served by this server
// (vertice_api/ui/vendor.py); the document is the API's own, /v3/openapi.json.
window.addEventListener('DOMContentLoaded', () => {
  window.ui = window.SwaggerUIBundle({
    url: '/v3/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // The "Authorize" button takes a token for "Try it out"; it is kept in this page only.
    persistAuthorization: false,
    tryItOutEnabled: false,
    validatorUrl: null,
  });
});
