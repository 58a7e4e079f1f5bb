// Conveniences only: the console works without this script.
"use strict";
document.addEventListener("click", function (ev) {
  var el = ev.target.closest ? ev.target.closest("[data-copy]") : null;
  if (el && navigator.clipboard) {
    ev.preventDefault();
    navigator.clipboard.writeText(el.getAttribute("data-copy")).then(function () {
      el.textContent = "Copied";
    }, function () {});
  }
});
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
    return;
  }
  // A second click while the first submission is on its way sends nothing
  // more (the idempotency key would make it harmless anyway).
  var buttons = ev.target.querySelectorAll("button[type=submit]");
  window.setTimeout(function () {
    buttons.forEach(function (b) { b.disabled = true; });
  }, 0);
});
