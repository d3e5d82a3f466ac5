// testimony desk: a survey as the person answers it.
//
// The page works without this script (every submit saves the draft and the
// desk evaluates the form's rules again). With it, the form's rules apply
// as the person types: questions appear and disappear (relevant), choices
// are filtered (choice_filter), required answers and constraints are
// checked, calculations are computed, repeats gain and lose passes in
// place (a repeat counted by an earlier answer gets as many passes when
// that answer is given, and says how many it needs), required markers
// follow the form's required rules, and the draft is saved in the
// background as the note page saves its preview. The rules are the syntax trees of the form's expressions,
// embedded in the page as JSON (#survey-rules) and evaluated by expr.js
// (window.TestimonyExpr) with the same meaning as the desk's Go engine,
// which checks every answer again before sealing.
//
// Keyboard: Enter moves to the next field (not a button) and never submits; arrow keys
// move within a group of choices (the browser's radio groups); Alt+N goes
// to the next required question without an answer; after a refused seal
// the first problem has the focus.
"use strict";

(function () {
  var form = document.getElementById("survey");
  var rulesEl = document.getElementById("survey-rules");
  if (!form || !rulesEl) {
    return;
  }
  var rules = JSON.parse(rulesEl.textContent);
  var Q = rules.questions || {};
  var M = rules.messages || {};
  var X = window.TestimonyExpr; // without it, the rules are left to the desk
  var touched = {}; // fields the person has left: their problems show
  var showAll = false; // after a seal was tried, every problem shows

  // ---- answers, read from the page --------------------------------------

  function inputsOf(block) {
    var field = block.getAttribute("data-field");
    return Array.prototype.filter.call(block.querySelectorAll("input, select, textarea"), function (el) {
      return el.name === field || el.name === "file." + field;
    });
  }

  function valueOf(block) {
    var kind = block.getAttribute("data-input");
    var els = inputsOf(block);
    var out = [];
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) {
          out.push(el.value);
        }
      } else if (el.type === "file") {
        if (el.files && el.files.length > 0) {
          out.push("file");
        }
      } else if (el.value !== "") {
        out.push(kind === "text" || kind === "textarea" ? el.value : el.value.trim());
      }
    }
    return kind === "checkbox" ? out.join(" ") : out.length ? out[0] : "";
  }

  // A scope is the pass of a repeat a question is in, or the form.
  function scopeOf(el) {
    return el.parentElement.closest(".pass") || form;
  }
  function repeatOf(scope) {
    return scope === form ? "" : scope.getAttribute("data-repeat");
  }
  function outer(scope) {
    return scope === form ? null : scopeOf(scope);
  }
  function blockIn(scope, name) {
    var all = scope.querySelectorAll('[data-q="' + CSS.escape(name) + '"]');
    for (var i = 0; i < all.length; i++) {
      if (scopeOf(all[i]) === scope) {
        return all[i];
      }
    }
    return null;
  }
  function shown(el) {
    return !el.closest("[hidden]");
  }

  // lookup finds name going out from scope, as the desk's engine does: a
  // question inside a repeat the scope is not in has no single answer; a
  // question not asked has no answer.
  function lookup(scope, name, depth) {
    var r = Q[name];
    if (!r) {
      return "";
    }
    var want = r.repeat || "";
    for (var s = scope; s; s = outer(s)) {
      if (repeatOf(s) !== want) {
        continue;
      }
      if (r.type === "start" || r.type === "end" || r.type === "today") {
        return rules.today;
      }
      if (r.type === "calculate") {
        if (depth > 16) {
          return "";
        }
        return asString(evaluate(r.calculation, s, "", depth + 1, null));
      }
      var b = blockIn(s, name);
      return b && shown(b) ? valueOf(b) : "";
    }
    return "";
  }

  function evaluate(ast, scope, self, depth, choice) {
    if (!ast || !X) {
      return undefined;
    }
    try {
      return X.evaluate(ast, {
        lookup: function (n) { return lookup(scope, n, depth); },
        self: function () { return self; },
        today: function () { return rules.today; },
        column: function (c) {
          if (!choice) {
            return "";
          }
          if (c === "name") {
            return choice.name;
          }
          return (choice.columns && choice.columns[c.toLowerCase()]) || "";
        },
      });
    } catch (e) {
      return undefined; // the desk's engine reports it when sealing
    }
  }

  // The boolean and string of a Value expr.js returns (XPath 1.0
  // conversions); dflt when the rule could not be evaluated.
  function asBool(v, dflt) {
    return v === undefined ? dflt : v.bool();
  }
  function asString(v) {
    return v === undefined ? "" : v.string();
  }

  // ---- the rules, applied ------------------------------------------------

  var integerRE = /^-?[0-9]+$/;
  var decimalRE = /^-?([0-9]+\.?[0-9]*|\.[0-9]+)$/;

  function geopointOK(v) {
    var p = v.split(/\s+/);
    if (p.length < 2 || p.length > 4) {
      return false;
    }
    var lat = Number(p[0]), lon = Number(p[1]);
    return decimalRE.test(p[0]) && decimalRE.test(p[1]) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
  }

  function problemOf(block, name, r) {
    var kind = block.getAttribute("data-input");
    var v = valueOf(block);
    var scope = scopeOf(block);
    if (v === "") {
      if (isRequired(block, r)) {
        return r.required_msg || M.required;
      }
      return "";
    }
    if (kind === "integer" && !integerRE.test(v)) {
      return M.integer;
    }
    if (kind === "decimal" && !decimalRE.test(v)) {
      return M.decimal;
    }
    if (kind === "geopoint" && !geopointOK(v)) {
      return M.geopoint;
    }
    if (r && r.constraint && !asBool(evaluate(r.constraint, scope, v, 0, null), true)) {
      return r.constraint_msg || M.constraint;
    }
    return "";
  }

  function setError(block, msg, show) {
    var field = block.getAttribute("data-field");
    var id = "f-" + field + "-error";
    var p = document.getElementById(id);
    var visible = msg !== "" && show;
    if (p) {
      p.textContent = visible ? msg : "";
      p.hidden = !visible;
    }
    block.classList.toggle("has-error", visible);
    inputsOf(block).forEach(function (el) {
      if (visible) {
        el.setAttribute("aria-invalid", "true");
      } else {
        el.removeAttribute("aria-invalid");
      }
    });
  }

  function isRequired(block, r) {
    return !!(r && r.required && asBool(evaluate(r.required, scopeOf(block), valueOf(block), 0, null), false));
  }

  // markRequired shows a question's required marker (present when the
  // question has a required rule) and tells assistive technology, as the
  // rule now says.
  function markRequired(block, req) {
    var mark = block.querySelector(".req");
    if (mark) {
      mark.hidden = !req;
    }
    inputsOf(block).forEach(function (el) {
      if (req) {
        el.setAttribute("aria-required", "true");
      } else {
        el.removeAttribute("aria-required");
      }
    });
  }

  // countOf returns how many passes the repeat_count of a repeat section
  // asks for, as the desk's engine counts (a whole number, 0 when it is
  // not positive), or -1 when it has none or asks for too many.
  function countOf(section) {
    var r = Q[section.getAttribute("data-q")];
    if (!r || !r.count) {
      return -1;
    }
    var v = evaluate(r.count, scopeOf(section), "", 0, null);
    if (v === undefined) {
      return -1;
    }
    var n = Math.trunc(v.number());
    if (!(n > 0)) {
      return 0;
    }
    return n > 500 ? -1 : n; // the engine's MaxRepeats
  }

  // refresh applies every rule to the page, and returns the blocks with a
  // problem, in order.
  function refresh() {
    var problems = [];
    if (X) {
      // Relevance, twice: a question may depend on one further down.
      for (var round = 0; round < 2; round++) {
        var changed = false;
        form.querySelectorAll("[data-q]").forEach(function (el) {
          var name = el.getAttribute("data-q");
          var hide;
          if (el.classList.contains("other")) {
            var sel = el.parentElement.closest(".q");
            hide = (" " + valueOf(sel) + " ").indexOf(" other ") < 0;
          } else {
            var r = Q[name];
            var own = el.hasAttribute("data-field") ? valueOf(el) : "";
            hide = !!(r && r.relevant) && !asBool(evaluate(r.relevant, scopeOf(el), own, 0, null), true);
          }
          if (el.hidden !== hide) {
            el.hidden = hide;
            changed = true;
          }
        });
        if (!changed) {
          break;
        }
      }
      // Choice filters.
      form.querySelectorAll(".q[data-field]").forEach(function (block) {
        var r = Q[block.getAttribute("data-q")];
        if (!r || !r.filter) {
          return;
        }
        var rows = {};
        (rules.choices[r.list] || []).forEach(function (c) { rows[c.name] = c; });
        block.querySelectorAll("[data-choice]").forEach(function (c) {
          var row = rows[c.getAttribute("data-choice")];
          if (!row) {
            return; // "other"
          }
          var input = c.tagName === "OPTION" ? c : c.querySelector("input");
          var chosen = c.tagName === "OPTION" ? c.selected : input.checked;
          var keep = asBool(evaluate(r.filter, scopeOf(block), valueOf(block), 0, row), true) || chosen;
          c.hidden = !keep;
          if (c.tagName === "OPTION") {
            c.disabled = !keep;
          }
        });
      });
    }
    // Required answers, types and constraints; progress.
    var answered = 0, total = 0, nextRequired = null;
    form.querySelectorAll(".q[data-field]").forEach(function (block) {
      var name = block.getAttribute("data-q");
      var r = Q[name];
      if (!shown(block)) {
        setError(block, "", false);
        return;
      }
      var msg = problemOf(block, name, X ? r : null);
      setError(block, msg, showAll || touched[block.getAttribute("data-field")]);
      if (msg) {
        problems.push(block);
      }
      if (block.classList.contains("other")) {
        return;
      }
      markRequired(block, isRequired(block, X ? r : null));
      total++;
      var v = valueOf(block);
      if (v !== "") {
        answered++;
      } else if (nextRequired === null && isRequired(block, r)) {
        nextRequired = block;
      }
    });
    // Repeats counted by an earlier answer: how many passes, and the add
    // button only while there are fewer.
    form.querySelectorAll("section.repeat").forEach(function (section) {
      var note = section.querySelector(":scope > .repeat-count");
      if (!note || !X) {
        return;
      }
      var n = shown(section) ? countOf(section) : -1;
      var have = section.querySelector(":scope > .passes").children.length;
      note.hidden = n < 0;
      if (n === 0 && have === 0) {
        note.textContent = M.count_none;
      } else if (n >= 0) {
        note.textContent = have > n ? M.count_remove.replace("%d", n).replace("%d", have - n) : M.count.replace("%d", n);
      }
      section.querySelector(":scope > button.add-pass").hidden = n >= 0 && have >= n;
    });
    var text = document.getElementById("progress-text");
    if (text && M.progress) {
      text.textContent = M.progress.replace("%d", answered).replace("%d", total);
    }
    var bar = document.getElementById("progress-bar");
    if (bar) {
      bar.max = Math.max(total, 1);
      bar.value = answered;
    }
    var next = document.getElementById("next-required");
    if (next) {
      next.hidden = nextRequired === null;
    }
    return { problems: problems, nextRequired: nextRequired };
  }

  // focusBlock puts the focus on a question's first input, opening the
  // sections around it.
  function focusBlock(block) {
    for (var d = block.closest("details"); d; d = d.parentElement.closest("details")) {
      d.open = true;
    }
    var els = inputsOf(block).filter(function (el) { return el.type !== "hidden" && !el.closest("[hidden]"); });
    var target = els.filter(function (el) { return el.checked; })[0] || els[0];
    if (target) {
      target.focus();
      target.scrollIntoView({ block: "center" });
    }
  }

  // ---- saving in the background -----------------------------------------

  var preview = document.getElementById("preview");
  var url = form.getAttribute("data-preview");
  var timer = null, running = false, again = false;

  function save() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    var data = new FormData(form);
    Array.from(data.keys()).forEach(function (k) {
      if (k === "attach" || k.indexOf("file.") === 0) {
        data.delete(k); // files go with a real submit only
      }
    });
    data.delete("action");
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected || !r.ok) {
          throw new Error("not saved");
        }
        return r.text();
      })
      .then(function (html) {
        preview.innerHTML = html; // rendered and escaped by the desk
        preview.setAttribute("data-state", "fresh");
        form.setAttribute("data-saved", "yes");
      })
      .catch(function () {
        preview.setAttribute("data-state", "stale");
        form.setAttribute("data-saved", "no");
      })
      .finally(function () {
        running = false;
        if (again) {
          again = false;
          save();
        }
      });
  }

  function changed() {
    refresh();
    preview.setAttribute("data-state", "typing");
    form.setAttribute("data-saved", "pending");
    clearTimeout(timer);
    timer = setTimeout(save, 400);
  }

  form.addEventListener("input", function (ev) {
    if (ev.target.id === "language") {
      return;
    }
    changed();
  });
  form.addEventListener("change", function (ev) {
    if (ev.target.hasAttribute && ev.target.hasAttribute("data-reload")) {
      // Another language: the page is shown again in it.
      reload = true;
      form.querySelector("button.default-action").click();
      return;
    }
    if (applyCounts() || ev.target.type === "file" || ev.target.type === "radio" || ev.target.type === "checkbox" || ev.target.tagName === "SELECT") {
      changed();
    }
  });
  form.addEventListener("focusout", function (ev) {
    var block = ev.target.closest && ev.target.closest(".q[data-field]");
    if (block && !block.contains(ev.relatedTarget)) {
      touched[block.getAttribute("data-field")] = true;
      refresh();
    }
  });

  // ---- repeats -----------------------------------------------------------

  // fill replaces the template key of a repeat in every attribute of a
  // copied pass, templates inside it included.
  function fill(root, token, key) {
    var attrs = ["name", "id", "for", "value", "data-field", "aria-describedby", "href", "data-key"];
    root.querySelectorAll("*").forEach(function (el) {
      attrs.forEach(function (a) {
        var v = el.getAttribute(a);
        if (v !== null && v.indexOf(token) >= 0) {
          el.setAttribute(a, v.split(token).join(key));
        }
      });
      if (el.tagName === "TEMPLATE") {
        fill(el.content, token, key);
      }
    });
  }

  function renumber(passes) {
    Array.prototype.forEach.call(passes.children, function (p, i) {
      var n = p.querySelector(".pass-n");
      if (n) {
        n.textContent = String(i + 1);
      }
    });
  }

  // addPass adds a blank pass to a repeat section and returns it.
  function addPass(section) {
    var passes = section.querySelector(":scope > .passes");
    var tpl = section.querySelector(":scope > template.pass-template");
    var name = section.getAttribute("data-q");
    var key = 0;
    Array.prototype.forEach.call(passes.children, function (p) {
      key = Math.max(key, Number(p.getAttribute("data-key")) + 1);
    });
    var copy = tpl.content.cloneNode(true);
    fill(copy, "{" + name + "}", String(key));
    var pass = copy.querySelector(".pass");
    passes.appendChild(copy);
    renumber(passes);
    return pass;
  }

  // applyCounts gives each repeat asked whose repeat_count changed as many
  // passes as the count says, when an answer is given (not at every key:
  // typing 12 would first add one). It never removes a pass: the page
  // says how many to remove. A count that did not change is left alone,
  // so that a pass the person removed does not come back. It reports
  // whether it added any.
  function applyCounts() {
    var added = false;
    form.querySelectorAll("section.repeat").forEach(function (section) {
      if (!shown(section) || !section.querySelector(":scope > .repeat-count")) {
        return;
      }
      var n = countOf(section);
      if (n < 0 || String(n) === section.getAttribute("data-count")) {
        return;
      }
      section.setAttribute("data-count", String(n));
      var passes = section.querySelector(":scope > .passes");
      while (passes.children.length < n) {
        addPass(section);
        added = true;
      }
    });
    return added;
  }

  form.addEventListener("click", function (ev) {
    var add = ev.target.closest("button.add-pass");
    if (add) {
      ev.preventDefault();
      var pass = addPass(add.closest(".repeat"));
      changed();
      var first = pass.querySelector(".q[data-field]");
      if (first) {
        focusBlock(first);
      }
      return;
    }
    var remove = ev.target.closest("button.remove-pass");
    if (remove) {
      ev.preventDefault();
      var p = remove.closest(".pass");
      var list = p.parentElement;
      var addButton = list.parentElement.querySelector("button.add-pass");
      p.remove();
      renumber(list);
      changed();
      addButton.focus();
      return;
    }
    if (ev.target.closest("#next-required")) {
      var st = refresh();
      if (st.nextRequired) {
        focusBlock(st.nextRequired);
      }
      return;
    }
    var seal = ev.target.closest("button#seal");
    if (seal && X) {
      showAll = true;
      var res = refresh();
      if (res.problems.length > 0) {
        ev.preventDefault();
        focusBlock(res.problems[0]);
      }
    }
  });

  // ---- the keyboard ------------------------------------------------------

  function fields() {
    return Array.prototype.filter.call(form.querySelectorAll("input, select, textarea, button"), function (el) {
      return el.type !== "hidden" && !el.disabled && el.tabIndex >= 0 && !el.closest("[hidden]") && el.offsetParent !== null;
    });
  }

  function plainEnter(ev) {
    return ev.key === "Enter" && !ev.isComposing && ev.target.tagName === "INPUT" && ev.target.type !== "submit" && ev.target.type !== "button" && ev.target.type !== "file";
  }
  // The browser submits a form on Enter when the key press comes (even if
  // the key down was stopped, for some input methods): stop it there too.
  form.addEventListener("keypress", function (ev) {
    if (plainEnter(ev)) {
      ev.preventDefault();
    }
  });
  // Enter submits the first button, which only saves: with the script,
  // the draft is saved in the background instead of reloading the page.
  var reload = false;
  form.addEventListener("submit", function (ev) {
    if (!reload && ev.submitter && ev.submitter.classList.contains("default-action")) {
      ev.preventDefault();
      save();
    }
  });
  form.addEventListener("keydown", function (ev) {
    if (plainEnter(ev)) {
      // Enter never submits: it gives the answer (a count adds its
      // passes) and goes on to the next question.
      ev.preventDefault();
      if (applyCounts()) {
        changed();
      }
      var all = fields();
      var i = all.indexOf(ev.target);
      var here = ev.target.closest(".q");
      for (var j = i + 1; j < all.length; j++) {
        if (all[j].tagName === "BUTTON") {
          continue; // the key press would go on to press it (remove a pass)
        }
        if (!here || !here.contains(all[j]) || all[j].type === "text") {
          all[j].focus();
          break;
        }
      }
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey && !ev.ctrlKey && !ev.metaKey && (ev.key === "n" || ev.key === "N" || ev.code === "KeyN")) {
      var st = refresh();
      if (st.nextRequired) {
        ev.preventDefault();
        focusBlock(st.nextRequired);
      }
    }
  });

  // ---- start -------------------------------------------------------------

  form.setAttribute("data-ready", "yes");
  refresh();
  var problems = document.getElementById("problems");
  if (problems) {
    showAll = true;
    refresh();
    problems.focus();
  }
})();
