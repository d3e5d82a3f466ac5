// testimony desk: the little script the pages need. Everything works
// without it; with it, the pseudonymized preview follows the typing, and
// destructive buttons ask first.
"use strict";

(function () {
  // Buttons with data-confirm ask before they submit.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
  });

  var form = document.getElementById("interview");
  var preview = document.getElementById("preview");
  if (!form || !preview) {
    return;
  }
  var url = form.getAttribute("data-preview");
  var timer = null;
  var running = false;
  var again = false;

  function refresh() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    var data = new FormData(form);
    data.delete("attach"); // files go with a real submit only
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected || !r.ok) {
          throw new Error("preview refused");
        }
        return r.text();
      })
      .then(function (html) {
        preview.innerHTML = html; // rendered and escaped by the desk
        preview.setAttribute("data-state", "fresh");
      })
      .catch(function () {
        preview.setAttribute("data-state", "stale");
      })
      .finally(function () {
        running = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  form.addEventListener("input", function (ev) {
    if (ev.target.type === "file") {
      return;
    }
    preview.setAttribute("data-state", "typing");
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
