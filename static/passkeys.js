// Passkeys (WebAuthn) for the sign-in and MFA pages. A static file because the CSP is script-src 'self'.
// Buttons say what they do with data attributes: data-passkey-register, data-passkey-login, data-passkey-mfa,
// each with data-options-url, data-verify-url and data-csrf; messages go to the nearest [data-passkey-status].
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var text = atob(b64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBytes(d.id) }); });
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401 && data.reauthenticate) {
          // A credential is added only after a recent sign-in: confirm it is you, then come back.
          window.location.assign(data.reauthenticate);
        }
        if (!response.ok) { throw new Error(data.error_description || "The passkey could not be used."); }
        return data;
      });
    });
  }

  function status(button, text) {
    var scope = button.closest("form, section, div") || document;
    var target = scope.querySelector("[data-passkey-status]") || document.querySelector("[data-passkey-status]");
    if (target) { target.textContent = text; }
  }

  function credentialJSON(credential, response) {
    var json = {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toB64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toB64url(response.authenticatorData);
      json.response.signature = toB64url(response.signature);
      if (response.userHandle) { json.response.userHandle = toB64url(response.userHandle); }
    }
    return json;
  }

  function register(button) {
    var nameInput = document.getElementById(button.getAttribute("data-name-input") || "passkey-name");
    var csrf = button.getAttribute("data-csrf");
    return post(button.getAttribute("data-options-url"), csrf).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      options.excludeCredentials = descriptors(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options });
    }).then(function (credential) {
      return post(button.getAttribute("data-verify-url"), csrf, {
        credential: credentialJSON(credential, credential.response),
        name: nameInput ? nameInput.value : ""
      });
    });
  }

  function assert(button) {
    var csrf = button.getAttribute("data-csrf");
    return post(button.getAttribute("data-options-url"), csrf).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.allowCredentials = descriptors(options.allowCredentials);
      return navigator.credentials.get({ publicKey: options });
    }).then(function (credential) {
      return post(button.getAttribute("data-verify-url"), csrf, {
        credential: credentialJSON(credential, credential.response),
        next: button.getAttribute("data-next") || ""
      });
    });
  }

  function wire(selector, ceremony, busyText) {
    document.querySelectorAll(selector).forEach(function (button) {
      if (!window.PublicKeyCredential) { button.hidden = true; return; }
      button.hidden = false;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        button.disabled = true;
        status(button, busyText);
        ceremony(button).then(function (result) {
          status(button, "Done.");
          window.location.assign(result.redirect || window.location.href);
        }).catch(function (error) {
          button.disabled = false;
          status(button, error && error.name === "NotAllowedError" ? "The passkey request was cancelled." : (error.message || String(error)));
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wire("[data-passkey-register]", register, "Follow your browser's prompt to create a passkey…");
    wire("[data-passkey-login]", assert, "Follow your browser's prompt to use your passkey…");
    wire("[data-passkey-mfa]", assert, "Follow your browser's prompt to use your passkey…");
  });
}());
