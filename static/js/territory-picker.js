/* Territory picker: live search as you type (2+ characters), results as buttons.
 * Progressive enhancement: without this script the page works step by step and the search form submits.
 * No inline script or style (CSP). */
(function () {
  "use strict";

  var form = document.querySelector("form[data-picker-search]");
  var list = document.getElementById("picker-results");
  var status = document.getElementById("picker-status");
  if (!form || !list || !status || !window.fetch) { return; }
  var input = form.querySelector("input[type=search]");
  if (!input) { return; }

  var MIN = 2;
  var timer = null;
  var controller = null;
  var apiUrl = form.getAttribute("data-api");
  var stepUrl = list.getAttribute("data-step-url");

  input.setAttribute("aria-controls", "picker-results");

  function say(text) { status.textContent = text; }

  function goTo(code) {
    window.location.assign(stepUrl.replace("CODE", encodeURIComponent(code)));
  }

  function render(results) {
    list.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = r.path || r.name;
      button.setAttribute("data-code", r.code);
      li.appendChild(button);
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
    say(results.length
      ? status.getAttribute("data-msg-count").replace("{count}", String(results.length))
      : status.getAttribute("data-msg-none"));
  }

  function search() {
    var q = input.value.trim();
    if (q.length < MIN) {
      list.textContent = "";
      list.hidden = true;
      say(q.length ? status.getAttribute("data-msg-short") : "");
      return;
    }
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var url = apiUrl + "?q=" + encodeURIComponent(q) + "&lang=" + encodeURIComponent(document.documentElement.lang || "");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller && controller.signal })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) { render(data.results || []); })
      .catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        say(status.getAttribute("data-msg-error"));
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-code]");
    if (button) { goTo(button.getAttribute("data-code")); }
  });

  /* Arrow keys move between the search box and the result buttons; Escape returns to the box. */
  function buttons() { return Array.prototype.slice.call(list.querySelectorAll("button[data-code]")); }

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && buttons().length) {
      event.preventDefault();
      buttons()[0].focus();
    }
  });

  list.addEventListener("keydown", function (event) {
    var all = buttons();
    var index = all.indexOf(document.activeElement);
    if (index < 0) { return; }
    if (event.key === "ArrowDown" && index < all.length - 1) {
      event.preventDefault();
      all[index + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (index === 0) { input.focus(); } else { all[index - 1].focus(); }
    } else if (event.key === "Escape") {
      event.preventDefault();
      input.focus();
    }
  });
})();
