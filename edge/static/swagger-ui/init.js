// Kept out of index.html so a strict Content-Security-Policy needs no inline script.
// validatorUrl: null, or Swagger UI sends the document's address to validator.swagger.io.
window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
