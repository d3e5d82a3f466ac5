// testimony desk: the little script the pages need. Everything works
// without it; with it, the pseudonymized preview follows the typing (until
// the note is too long for that), each flag jumps to what was typed,
// destructive buttons ask first, and the unlock shows its steps.
"use strict";

(function () {
  // Buttons with data-confirm ask before they submit.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
  });

  // The unlock: the keys open in the background (a scrypt per key file,
  // seconds in all) while the page lists the steps, asking the desk how
  // far it has come; then it goes on to the page asked for.
  var unlock = document.getElementById("unlock");
  if (unlock) {
    unlock.addEventListener("submit", function () {
      var async = document.createElement("input");
      async.type = "hidden";
      async.name = "async";
      async.value = "1";
      unlock.appendChild(async);
    });
  }
  var steps = document.getElementById("unlock-progress");
  if (steps) {
    var next = steps.getAttribute("data-next");
    var poll = function () {
      fetch(steps.getAttribute("data-progress"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          steps.innerHTML = html; // rendered and escaped by the desk
          var state = steps.querySelector("[data-running]");
          if (state && state.getAttribute("data-running") === "no") {
            window.location.replace(next);
            return;
          }
          setTimeout(poll, 250);
        })
        .catch(function () { setTimeout(poll, 1000); });
    };
    setTimeout(poll, 250);
  }

  // Each flag in the list selects, in the note, what was typed where the
  // flag is (the link itself goes to its mark in the preview).
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest("a.flag-jump");
    // The note, or the answer a survey's flag is in.
    var note = a && document.getElementById(a.getAttribute("data-field") || "note");
    if (!a || !note) {
      return;
    }
    var start = parseInt(a.getAttribute("data-start"), 10);
    var end = parseInt(a.getAttribute("data-end"), 10);
    if (!(start >= 0 && end > start && end <= note.value.length)) {
      return; // the link's own jump, to the preview
    }
    ev.preventDefault();
    note.focus();
    note.setSelectionRange(start, end);
    // Scroll the note to the selection: put the caret's line in view.
    var before = note.value.slice(0, start).split("\n").length - 1;
    var line = parseFloat(getComputedStyle(note).lineHeight) || 20;
    note.scrollTop = Math.max(0, before * line - note.clientHeight / 3);
    note.scrollIntoView({ block: "nearest" });
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
  // Above this many characters (about a megabyte of Hangul) the preview
  // no longer follows the typing: each refresh would send and
  // pseudonymize the whole note, and the page would freeze. It says so,
  // and refreshes on request.
  var large = 300000;
  var note = document.getElementById("note");
  var warning = document.getElementById("preview-large");

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

  function tooLarge() {
    return note && note.value.length > large;
  }

  if (warning) {
    warning.querySelector("button").addEventListener("click", function () {
      preview.setAttribute("data-state", "typing");
      refresh();
    });
    warning.hidden = !tooLarge();
  }

  form.addEventListener("input", function (ev) {
    if (ev.target.type === "file") {
      return;
    }
    clearTimeout(timer);
    if (tooLarge()) {
      if (warning) {
        warning.hidden = false;
      }
      preview.setAttribute("data-state", "stale");
      return;
    }
    if (warning) {
      warning.hidden = true;
    }
    preview.setAttribute("data-state", "typing");
    timer = setTimeout(refresh, 400);
  });
})();
