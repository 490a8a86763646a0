// The API docs page: swagger-ui over the document this server generates (no CDN).
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#ui",
  deepLinking: true,
  persistAuthorization: true,
});
