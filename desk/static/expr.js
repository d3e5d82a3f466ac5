// testimony desk: the evaluator of survey form expressions. It reads the
// syntax tree that the Go package internal/survey/expr writes
// (Expr.MarshalJSON) and gives the same results as expr.Eval, so that skip
// rules and constraints behave in the browser exactly as the desk checks
// them again before sealing (a test runs one table through both). The
// package documentation of internal/survey/expr is the specification:
// XPath 1.0 coercions, dates as days since 1970-01-01, numbers written
// without exponent, the same limits.
//
// No eval, no Function: the desk's Content-Security-Policy forbids them.
//
//   TestimonyExpr.evaluate(ast, env) -> Value
//     env.lookup(name)  the answer to ${name}, a string ("" if none);
//                       undefined or null if the form has no such question
//     env.self()        the answer being checked (".")
//     env.today()       the interview's day, YYYY-MM-DD
//     env.column(name)  (choice filters only) the choice's column
//   Value: .type ("string", "number" or "boolean"), .string(), .number(),
//   .bool(). Errors are thrown as Error with the Go evaluator's message.
"use strict";

(function () {
  var MAX_COST = 4 << 20;
  var MAX_STRING = 256 << 10;
  var ERR_COST = "the expression costs too much to evaluate";

  function Value(type, v) {
    this.type = type;
    this.v = v;
  }
  Value.prototype.string = function () {
    if (this.type === "number") {
      return formatNumber(this.v);
    }
    if (this.type === "boolean") {
      return this.v ? "true" : "false";
    }
    return this.v;
  };
  Value.prototype.number = function () {
    if (this.type === "number") {
      return this.v;
    }
    if (this.type === "boolean") {
      return this.v ? 1 : 0;
    }
    return parseNumber(this.v);
  };
  Value.prototype.bool = function () {
    if (this.type === "number") {
      return this.v !== 0 && !isNaN(this.v);
    }
    if (this.type === "boolean") {
      return this.v;
    }
    return this.v !== "";
  };

  function str(s) {
    return new Value("string", s);
  }
  function num(n) {
    return new Value("number", n);
  }
  function bool(b) {
    return new Value("boolean", b);
  }

  // formatNumber writes n as Go's strconv.FormatFloat(n, 'f', -1, 64) does,
  // with XPath's names for NaN and the infinities and "0" for -0.
  function formatNumber(n) {
    if (isNaN(n)) {
      return "NaN";
    }
    if (n === Infinity) {
      return "Infinity";
    }
    if (n === -Infinity) {
      return "-Infinity";
    }
    if (n === 0) {
      return "0";
    }
    var s = String(n); // the shortest round trip, as Go's
    var e = s.indexOf("e");
    if (e < 0) {
      return s;
    }
    var sign = "";
    var mant = s.slice(0, e);
    var exp = parseInt(s.slice(e + 1), 10);
    if (mant.charAt(0) === "-") {
      sign = "-";
      mant = mant.slice(1);
    }
    var dot = mant.indexOf(".");
    var intPart = dot < 0 ? mant : mant.slice(0, dot);
    var digits = dot < 0 ? mant : intPart + mant.slice(dot + 1);
    var point = intPart.length + exp;
    if (point <= 0) {
      return sign + "0." + "0".repeat(-point) + digits;
    }
    if (point >= digits.length) {
      return sign + digits + "0".repeat(point - digits.length);
    }
    return sign + digits.slice(0, point) + "." + digits.slice(point);
  }

  function isSpace(c) {
    return c === " " || c === "\t" || c === "\n" || c === "\r";
  }

  function trim(s) {
    var i = 0;
    var j = s.length;
    while (i < j && isSpace(s.charAt(i))) {
      i++;
    }
    while (j > i && isSpace(s.charAt(j - 1))) {
      j--;
    }
    return s.slice(i, j);
  }

  function fields(s) {
    var out = [];
    var cur = "";
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      if (isSpace(c)) {
        if (cur !== "") {
          out.push(cur);
        }
        cur = "";
      } else {
        cur += c;
      }
    }
    if (cur !== "") {
      out.push(cur);
    }
    return out;
  }

  // days returns the days from 1970-01-01 to the date s (YYYY-MM-DD, a
  // real day of years 0000-9999), or null.
  function days(s) {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(s)) {
      return null;
    }
    var y = parseInt(s.slice(0, 4), 10);
    var m = parseInt(s.slice(5, 7), 10);
    var d = parseInt(s.slice(8, 10), 10);
    if (m < 1 || m > 12 || d < 1) {
      return null;
    }
    var leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    var month = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
    if (m === 2 && leap) {
      month = 29;
    }
    if (d > month) {
      return null;
    }
    if (m <= 2) {
      y--;
    }
    var era = Math.floor((y + 400) / 400);
    var yoe = y + 400 - era * 400;
    era--;
    var mp = (m + 9) % 12;
    var doy = Math.floor((153 * mp + 2) / 5) + d - 1;
    var doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
  }

  // parseNumber reads s as XPath's number(), dates as days.
  function parseNumber(s) {
    s = trim(s);
    var d = days(s);
    if (d !== null) {
      return d;
    }
    if (!/^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(s)) {
      return NaN;
    }
    return Number(s);
  }

  // utf8Length is the length of s in UTF-8 bytes, as Go's len.
  function utf8Length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (c >= 0xd800 && c < 0xdc00) {
        n += 4; // a pair: the low half adds nothing
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  function runeCount(s) {
    var n = 0;
    // eslint-disable-next-line no-unused-vars
    for (var _ of s) {
      n++;
    }
    return n;
  }

  function roundHalfUp(x) {
    if (isNaN(x) || x === Infinity || x === -Infinity) {
      return x;
    }
    var f = Math.floor(x);
    return x - f >= 0.5 ? f + 1 : f;
  }

  function equal(a, b) {
    if (a.type === "boolean" || b.type === "boolean") {
      return a.bool() === b.bool();
    }
    if (a.type === "number" || b.type === "number") {
      return a.number() === b.number();
    }
    return a.v === b.v;
  }

  function Evaluator(env) {
    this.env = env;
    this.cost = 0;
  }

  Evaluator.prototype.charge = function (n) {
    this.cost += n;
    if (this.cost > MAX_COST) {
      throw new Error(ERR_COST);
    }
  };

  Evaluator.prototype.str = function (s) {
    this.charge(utf8Length(s));
    return str(s);
  };

  Evaluator.prototype.eval = function (n) {
    this.charge(1);
    var s;
    switch (n.k) {
      case "num":
        return num(Number(n.v));
      case "str":
        return this.str(n.v || "");
      case "ref":
        s = this.env.lookup(n.v);
        if (s === undefined || s === null) {
          throw new Error("${" + n.v + "} names no question of the form");
        }
        return this.str(String(s));
      case "self":
        return this.str(String(this.env.self()));
      case "col":
        if (typeof this.env.column !== "function") {
          throw new Error("the bare name " + n.v + " can only be used in a choice filter");
        }
        s = this.env.column(n.v);
        if (s === undefined || s === null) {
          throw new Error("the choices have no column " + n.v);
        }
        return this.str(String(s));
      case "neg":
        return num(-this.eval(n.a[0]).number());
      case "op":
        return this.op(n);
      case "fn":
        return this.call(n);
    }
    throw new Error('unknown node "' + n.k + '"');
  };

  Evaluator.prototype.op = function (n) {
    var a = this.eval(n.a[0]);
    if (n.v === "and") {
      return bool(a.bool() ? this.eval(n.a[1]).bool() : false);
    }
    if (n.v === "or") {
      return bool(a.bool() ? true : this.eval(n.a[1]).bool());
    }
    var b = this.eval(n.a[1]);
    var x = a.number();
    var y = b.number();
    switch (n.v) {
      case "=":
        return bool(equal(a, b));
      case "!=":
        return bool(!equal(a, b));
      case "<":
        return bool(x < y);
      case "<=":
        return bool(x <= y);
      case ">":
        return bool(x > y);
      case ">=":
        return bool(x >= y);
      case "+":
        return num(x + y);
      case "-":
        return num(x - y);
      case "*":
        return num(x * y);
      case "div":
        return num(x / y);
      case "mod":
        return num(x % y);
    }
    throw new Error('unknown operator "' + n.v + '"');
  };

  Evaluator.prototype.call = function (n) {
    var args = n.a || [];
    if (n.v === "if") {
      return this.eval(this.eval(args[0]).bool() ? args[1] : args[2]);
    }
    var v = [];
    for (var i = 0; i < args.length; i++) {
      v.push(this.eval(args[i]));
    }
    var s;
    switch (n.v) {
      case "not":
        return bool(!v[0].bool());
      case "true":
        return bool(true);
      case "false":
        return bool(false);
      case "today":
        return this.str(String(this.env.today()));
      case "selected":
        s = trim(v[1].string());
        return bool(fields(v[0].string()).indexOf(s) >= 0);
      case "count-selected":
        return num(fields(v[0].string()).length);
      case "string-length":
        return num(runeCount(v.length === 1 ? v[0].string() : String(this.env.self())));
      case "coalesce":
        s = v[0].string();
        return str(s !== "" ? s : v[1].string());
      case "concat": {
        var out = "";
        var size = 0;
        for (var j = 0; j < v.length; j++) {
          s = v[j].string();
          size += utf8Length(s);
          if (size > MAX_STRING) {
            throw new Error(ERR_COST);
          }
          out += s;
        }
        return this.str(out);
      }
      case "string":
        return str(v[0].string());
      case "number":
        return num(v[0].number());
      case "int":
        return num(Math.trunc(v[0].number()));
      case "round": {
        var x = v[0].number();
        if (v.length === 1) {
          return num(roundHalfUp(x));
        }
        var d = Math.trunc(v[1].number());
        if (!(d >= 0 && d <= 15)) {
          return num(NaN);
        }
        var p = Number("1e" + d);
        return num(roundHalfUp(x * p) / p);
      }
    }
    throw new Error("unknown function " + n.v + "()");
  };

  window.TestimonyExpr = {
    evaluate: function (ast, env) {
      return new Evaluator(env).eval(ast);
    },
    formatNumber: formatNumber,
    parseNumber: parseNumber,
  };
})();
