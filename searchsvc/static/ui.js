// Progressive enhancement only: every control also works without JavaScript (the forms have
// their own buttons). Ticking a facet value or choosing a sort order applies it at once.
document.addEventListener("change", function (event) {
  var control = event.target;
  if (control.matches("form.facets input[type=checkbox], form.search select#sort")) {
    control.form.requestSubmit();
  }
});
