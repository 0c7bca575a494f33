// Progressive enhancement only: the form works without this file.
(function () {
  "use strict";
  var form = document.getElementById("vote-form");
  if (!form) { return; }
  var comment = document.getElementById("comment");
  var count = document.getElementById("comment-count");
  var max = parseInt(comment.getAttribute("maxlength"), 10);
  var template = comment.getAttribute("data-count-template");

  function updateCount() {
    var n = comment.value.length;
    count.textContent = template.replace("{n}", n.toLocaleString("en-US")).replace("{max}", max.toLocaleString("en-US"));
    count.classList.toggle("over", n >= max);
  }
  comment.addEventListener("input", updateCount);
  updateCount();

  var scoreField = document.getElementById("score-field");
  var scoreError = document.getElementById("score-error");
  form.addEventListener("change", function (event) {
    if (event.target.name === "score") {
      scoreError.hidden = true;
      scoreField.classList.remove("invalid");
    }
  });

  var button = document.getElementById("submit");
  form.addEventListener("submit", function (event) {
    if (!form.querySelector("input[name=score]:checked")) {
      event.preventDefault();
      scoreError.textContent = form.getAttribute("data-score-error");
      scoreError.hidden = false;
      scoreField.classList.add("invalid");
      document.getElementById("score-1").focus();
      return;
    }
    // One tap, one vote: the nonce in the form makes a repeat harmless, this makes it rare.
    button.disabled = true;
    button.textContent = form.getAttribute("data-sending");
  });
})();
