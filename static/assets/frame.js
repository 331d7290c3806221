// Tollgate's form inside another site's frame (?embed=1): tells the parent
// the page's height, {type: "tollgate:height", height} by postMessage, on
// load and whenever it changes, so the frame fits its content; and moves
// the focus to the error summary, which autofocus cannot do in a
// cross-origin frame. The form works without it.
(function () {
  "use strict";
  var last = -1;
  function report() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last || window.parent === window) {
      return;
    }
    last = height;
    // The height is no secret: any embedding page may read it.
    window.parent.postMessage({ type: "tollgate:height", height: height }, "*");
  }
  function start() {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    }
    report();
    if (window.ResizeObserver) {
      new ResizeObserver(report).observe(document.documentElement);
    }
    window.addEventListener("resize", report);
    window.addEventListener("load", report);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
