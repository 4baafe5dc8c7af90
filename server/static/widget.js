/* Loupe feedback widget: thumbs, a 1-5 rating, a comment and a suggested correction beside an AI
 * output, sent to Loupe with a publishable feedback key (lpk_...). No framework; the DOM is built
 * with createElement and textContent only. Usage:
 *   <script src="https://loupe.example/widget.js" data-loupe-key="lpk_..." defer></script>
 *   <div data-loupe-output="EXTERNAL-ID" data-loupe-user="u-123"></div>
 */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) return;
  var key = me.getAttribute("data-loupe-key") || "";
  var endpoint = new URL("/api/v1/public/feedback", me.src).href;
  var seq = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = "loupe-fb-" + cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function button(cls, text, label) {
    var b = el("button", cls, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    return b;
  }

  // The icon is decoration; the words are the button's name (and what a voice user says).
  function thumb(icon, words) {
    var b = button("thumb");
    var i = el("span", "icon", icon + " ");
    i.setAttribute("aria-hidden", "true");
    b.appendChild(i);
    b.appendChild(document.createTextNode(words));
    return b;
  }

  function style() {
    if (document.getElementById("loupe-fb-style")) return;
    var s = el("style");
    s.id = "loupe-fb-style";
    s.textContent =
      ".loupe-fb{font:inherit;margin:.5em 0;padding:.5em;border:1px solid #c8c8d0;border-radius:6px;max-width:36em}" +
      ".loupe-fb-row{display:flex;flex-wrap:wrap;gap:.35em;align-items:center;margin:.25em 0}" +
      ".loupe-fb button{font:inherit;padding:.2em .6em;border:1px solid #767680;border-radius:4px;background:#fff;color:#111;cursor:pointer}" +
      ".loupe-fb button[aria-pressed=true]{background:#1a3f8f;color:#fff;border-color:#1a3f8f}" +
      ".loupe-fb button:focus-visible,.loupe-fb textarea:focus-visible{outline:3px solid #1a56db;outline-offset:2px}" +
      ".loupe-fb textarea{font:inherit;width:100%;box-sizing:border-box;min-height:3em}" +
      ".loupe-fb label{display:block;margin-top:.4em}" +
      ".loupe-fb-status{margin:.3em 0 0;min-height:1.2em}.loupe-fb-status[data-state=error]{color:#a11}";
    document.head.appendChild(s);
  }

  function userId(node) {
    var given = node.getAttribute("data-loupe-user");
    if (given) return given;
    try {
      var saved = localStorage.getItem("loupe-fb-user");
      if (saved) return saved;
      var made = "anon-" + Math.random().toString(36).slice(2, 12);
      localStorage.setItem("loupe-fb-user", made);
      return made;
    } catch (e) {
      return "anonymous";
    }
  }

  function explain(res, body) {
    if (res.status === 429) {
      var wait = res.headers.get("Retry-After");
      return "Too many messages right now; try again" + (wait ? " in " + wait + " s." : " later.");
    }
    if (res.status === 403) return "This page is not allowed to send feedback.";
    if (res.status === 401) return "Feedback is switched off for this page (the key is not valid).";
    if (body && typeof body.message === "string") return "Not sent: " + body.message + ".";
    return "Not sent (error " + res.status + ").";
  }

  function mount(node) {
    if (node.getAttribute("data-loupe-ready")) return;
    node.setAttribute("data-loupe-ready", "1");
    var id = "loupe-fb-" + ++seq;
    var output = node.getAttribute("data-loupe-output");
    var user = userId(node);
    var box = el("div");
    box.className = "loupe-fb";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Feedback on this answer");
    var status = el("p", "status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    function say(text, error) {
      status.textContent = text;
      status.setAttribute("data-state", error ? "error" : "ok");
    }

    function send(type, value, comments, done) {
      say("Sending…", false);
      fetch(endpoint, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json", "X-Loupe-Key": key },
        body: JSON.stringify({ task_id: output, user_id: user, feedback_type: type, value: value, comments: comments }),
      }).then(
        function (res) {
          return res.json().then(null, function () { return null; }).then(function (body) {
            if (res.ok) {
              say("Thank you: your feedback was sent.", false);
              if (done) done();
            } else {
              say(explain(res, body), true);
            }
          });
        },
        function () {
          say("Feedback could not be sent: this page is not allowed to send it, or the network failed.", true);
        }
      );
    }

    function pressGroup(buttons, pressed) {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", b === pressed ? "true" : "false"); });
    }

    var thumbs = el("div", "row");
    thumbs.appendChild(el("span", "label", "Was this helpful?"));
    var up = thumb("👍", "Thumbs up");
    var down = thumb("👎", "Thumbs down");
    [up, down].forEach(function (b, i) {
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", function () {
        send("thumbs", i === 0 ? 1 : 0, null, function () { pressGroup([up, down], b); });
      });
      thumbs.appendChild(b);
    });
    box.appendChild(thumbs);

    var rating = el("div", "row");
    rating.setAttribute("role", "group");
    rating.setAttribute("aria-labelledby", id + "-rate");
    var rateLabel = el("span", "label", "Rate it:");
    rateLabel.id = id + "-rate";
    rating.appendChild(rateLabel);
    var stars = [];
    for (var n = 1; n <= 5; n++) {
      (function (n) {
        var b = button("star", String(n), n + " out of 5");
        b.setAttribute("aria-pressed", "false");
        b.addEventListener("click", function () {
          send("rating", n, null, function () { pressGroup(stars, b); });
        });
        stars.push(b);
        rating.appendChild(b);
      })(n);
    }
    box.appendChild(rating);

    function textForm(kind, labelText, buttonText) {
      var label = el("label", null, labelText);
      var area = el("textarea");
      area.id = id + "-" + kind;
      area.maxLength = 5000;
      label.htmlFor = area.id;
      var go = button("send", buttonText);
      go.addEventListener("click", function () {
        var text = area.value.trim();
        if (!text) {
          say("Write something first.", true);
          area.focus();
          return;
        }
        send(kind, null, text, function () { area.value = ""; });
      });
      box.appendChild(label);
      box.appendChild(area);
      var row = el("div", "row");
      row.appendChild(go);
      box.appendChild(row);
    }
    textForm("comment", "Comment", "Send comment");
    textForm("correction", "Suggest a correction", "Send correction");
    box.appendChild(status);
    node.appendChild(box);
  }

  function start() {
    style();
    Array.prototype.forEach.call(document.querySelectorAll("[data-loupe-output]"), mount);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
