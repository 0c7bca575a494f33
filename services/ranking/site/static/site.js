// Progressive enhancement only: every page works without this file.
// A filter's select applies itself when changed (without JavaScript its "Show" button does it).
(function () {
  "use strict";
  var selects = document.querySelectorAll("select[data-autosubmit]");
  Array.prototype.forEach.call(selects, function (select) {
    var form = select.form;
    var button = form.querySelector(".filter-button");
    if (button) { button.hidden = true; }
    select.addEventListener("change", function () { form.submit(); });
  });
})();
