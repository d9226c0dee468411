/* Mentorat: copies the e-mailed link's code (/sign-in#code=...) into the sign-in form's field.
   The form is sent only when the person clicks; without JavaScript they paste the code. */
(function () {
  "use strict";
  var match = /(?:^#|&)code=([^&]+)/.exec(window.location.hash);
  var form = document.forms[0];
  if (!match || !form) {
    return;
  }
  var field = form.elements.namedItem("code");
  if (field) {
    field.value = decodeURIComponent(match[1]);
  }
  /* The code leaves the address bar and the history: it is a secret until used. */
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
})();
