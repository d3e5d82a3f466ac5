// The setup page: the passphrase's strength, in the page's language, as
// it is typed. The desk on this computer computes it (POST
// /setup/strength); the passphrase goes nowhere else.
"use strict";
(function () {
  const input = document.getElementById("passphrase");
  const out = document.getElementById("strength");
  if (!input || !out) {
    return;
  }
  let timer = 0;
  let seq = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(async function () {
      const mine = ++seq;
      const body = new URLSearchParams({ passphrase: input.value });
      try {
        const resp = await fetch("/setup/strength", { method: "POST", body: body, credentials: "same-origin" });
        if (!resp.ok || mine !== seq) {
          return;
        }
        const s = await resp.json();
        out.textContent = input.value === "" ? "" : s.hint;
        out.className = "hint strength-" + s.level;
        out.dataset.level = s.level;
      } catch (e) {
        // The hint is a help; the desk checks again when the form is sent.
      }
    }, 250);
  });
})();
