// The console's policy editor: ValidatePolicy findings shown beside a policy textarea before it is saved.
// Progressive enhancement: without this script the textarea is a plain form field and the server validates on
// save. With it, every textarea marked `data-policy-editor` is checked (a POST to its `data-validate-url`, the
// console's ValidatePolicy endpoint) when typing pauses, when "Check policy" is pressed and before its form is
// sent (not when a page loads: each check is an audited access-analyzer:ValidatePolicy decision); a form whose
// document has an ERROR finding is held back until the document is fixed. Each finding names its line and
// column and, when activated, selects the text it is about. No inline script, no external code: CSP
// script-src 'self'.
(function () {
  "use strict";

  var PAUSE_MS = 600;

  function csrfToken(form) {
    var field = form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function describe(finding) {
    var where = "";
    var location = finding.locations && finding.locations[0];
    if (location) {
      var start = location.span.start;
      where = "line " + start.line + ", column " + (start.column + 1) + ": ";
    }
    return where + finding.findingType + " " + finding.issueCode + " - " + finding.findingDetails;
  }

  function showFindings(editor, list, status, findings) {
    list.textContent = "";
    findings.forEach(function (finding) {
      var item = document.createElement("li");
      item.className = "finding finding-" + finding.findingType.toLowerCase();
      item.setAttribute("data-issue-code", finding.issueCode);
      var location = finding.locations && finding.locations[0];
      if (location) {
        var jump = document.createElement("button");
        jump.type = "button";
        jump.className = "link";
        jump.textContent = describe(finding);
        jump.addEventListener("click", function () {
          editor.focus();
          editor.setSelectionRange(location.span.start.offset, location.span.end.offset);
        });
        item.appendChild(jump);
      } else {
        item.textContent = describe(finding);
      }
      list.appendChild(item);
    });
    var errors = findings.filter(function (f) { return f.findingType === "ERROR"; }).length;
    status.textContent = findings.length === 0 ? "No findings: the policy is valid."
      : findings.length + " finding" + (findings.length === 1 ? "" : "s") +
        (errors ? ", " + errors + " to fix before saving." : ".");
  }

  function validate(editor, list, status) {
    var form = editor.form;
    var text = editor.value;
    var body = {policyDocument: text, policyType: editor.getAttribute("data-policy-type") || "IDENTITY_POLICY"};
    var resourceType = editor.getAttribute("data-resource-type");
    if (resourceType) {
      body.validatePolicyResourceType = resourceType;
    }
    return fetch(editor.getAttribute("data-validate-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(form)},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          status.textContent = answer.error_description || "The policy could not be checked.";
          return null;
        }
        editor.setAttribute("data-checked", text);
        showFindings(editor, list, status, answer.findings);
        return answer.findings;
      });
    }).catch(function () {
      status.textContent = "The policy could not be checked; it is checked again when saved.";
      return null;
    });
  }

  function enhance(editor) {
    var list = document.getElementById(editor.getAttribute("data-findings"));
    var status = document.getElementById(editor.getAttribute("data-findings-status"));
    if (!list || !status || !editor.form) {
      return;
    }
    var timer = null;
    var checkButton = document.createElement("button");
    checkButton.type = "button";
    checkButton.className = "secondary";
    checkButton.textContent = "Check policy";
    checkButton.addEventListener("click", function () { validate(editor, list, status); });
    editor.parentNode.insertBefore(checkButton, status);
    editor.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { validate(editor, list, status); }, PAUSE_MS);
    });
    editor.form.addEventListener("submit", function (event) {
      if (editor.getAttribute("data-submitting") === "yes") {
        return;
      }
      event.preventDefault();
      clearTimeout(timer);
      validate(editor, list, status).then(function (findings) {
        var blocking = findings && findings.some(function (f) { return f.findingType === "ERROR"; });
        if (blocking) {
          status.focus();
          return;
        }
        editor.setAttribute("data-submitting", "yes");
        editor.form.requestSubmit(event.submitter || undefined);
      });
    });
  }

  document.querySelectorAll("textarea[data-policy-editor]").forEach(enhance);
})();
