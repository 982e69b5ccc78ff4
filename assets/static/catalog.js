// The course catalog's filters, enhanced: choosing a category, level or order applies it at
// once (the form still has its button and works without this script), and on a phone the
// filters start folded unless some are in use.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) {
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      });
    });
  }
  var fold = document.querySelector("details[data-fold-on-phone]");
  if (fold && !fold.hasAttribute("data-filtered") && window.matchMedia("(max-width: 640px)").matches) {
    fold.open = false;
  }
}());
