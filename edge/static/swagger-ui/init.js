// Kept out of index.html so a strict Content-Security-Policy needs no inline script.
window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
