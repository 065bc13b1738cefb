// OAuth 2.0 Form Post Response Mode: submit the response to the client at once (CSP forbids inline script).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("oidc-form-post");
  if (form) { form.submit(); }
});
