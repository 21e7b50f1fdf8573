// The only script of the web pages: a running run's page reloads itself every minute while its
// "refresh" box is ticked (the choice is remembered). Every page works without it.
"use strict";
(function () {
  var seconds = Number(document.body.dataset.refresh || 0);
  var box = document.getElementById("auto-refresh");
  if (!seconds || !box) {
    return;
  }
  var key = "paddles-mongo.auto-refresh";
  box.checked = window.localStorage.getItem(key) !== "off";
  box.addEventListener("change", function () {
    window.localStorage.setItem(key, box.checked ? "on" : "off");
  });
  window.setInterval(function () {
    if (box.checked && document.visibilityState === "visible") {
      window.location.reload();
    }
  }, seconds * 1000);
})();
