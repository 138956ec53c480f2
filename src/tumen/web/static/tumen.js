// Tumen web UI: small progressive enhancements.  No inline script anywhere (CSP).
(function () {
  "use strict";
  // Confirm destructive actions (delete an incident, remove a user).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.classList.contains("confirm") && !window.confirm(button.textContent.trim() + "?")) {
      event.preventDefault();
    }
  });
  // Clicking an incident in the side list flashes its evidence in the text.
  function flash(id) {
    var first = document.getElementById(id);
    if (!first) return;
    var cls = id;
    document.querySelectorAll(".body .flash").forEach(function (el) { el.classList.remove("flash"); });
    document.querySelectorAll(".body ." + cls).forEach(function (el) { el.classList.add("flash"); });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.evlink");
    if (link) flash(link.getAttribute("data-ev"));
  });
  if (location.hash && /^#ev-\d+$/.test(location.hash)) {
    document.addEventListener("DOMContentLoaded", function () { flash(location.hash.slice(1)); });
  }
})();
