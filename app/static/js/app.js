// Small progressive enhancements; every page works without them.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = button && button.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Show a field group only when a controlling field has a given value:
// <div data-show-when="stage" data-show-value="reserve">.
function cpToggleDependents() {
  document.querySelectorAll("[data-show-when]").forEach(function (el) {
    var name = el.getAttribute("data-show-when");
    var values = el.getAttribute("data-show-value").split(",");
    var control = document.querySelector('[name="' + name + '"]:checked') ||
                  document.querySelector('select[name="' + name + '"]');
    el.hidden = !(control && values.indexOf(control.value) !== -1);
  });
}
document.addEventListener("change", cpToggleDependents);
document.addEventListener("DOMContentLoaded", cpToggleDependents);

// A switch that saves itself: <input type="checkbox" data-autosubmit> inside its form
// (the form also has a button for browsers without scripts).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
    if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
  }
});
