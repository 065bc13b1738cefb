// The console's progressive enhancement (every page works without it): confirm before a destructive
// action, and a Copy button beside a secret shown once.
"use strict";
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (button && button.classList.contains("danger") && !window.confirm(button.textContent.trim() + "?")) {
    event.preventDefault();
  }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("#secret-once code").forEach(function (code) {
    if (!navigator.clipboard) { return; }
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "secondary copy";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", "Copy " + code.id.replace(/-/g, " "));
    copy.addEventListener("click", function () { navigator.clipboard.writeText(code.textContent); });
    code.after(copy);
  });
});
