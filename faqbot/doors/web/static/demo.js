// The demo page's hero form hands its question to the widget's small JS API.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }
  ready(function () {
    var form = document.querySelector("[data-ask-form]");
    if (form) {
      form.addEventListener("submit", function (event) {
        var input = form.querySelector("input");
        var question = input ? input.value.trim() : "";
        if (!window.faqbot || !question) return; // no widget: fall back to the FAQ list
        event.preventDefault();
        window.faqbot.ask(question);
        input.value = "";
      });
    }
    document.querySelectorAll("[data-open-assistant]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (window.faqbot) window.faqbot.open();
      });
    });
  });
})();
