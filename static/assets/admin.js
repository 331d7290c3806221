// Tollgate admin console: confirmation of destructive forms. The console
// works without it; it only asks before a form marked data-confirm posts.
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  var msg = form.getAttribute && form.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
  }
});
