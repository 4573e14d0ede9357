// Accessible names that the widgets and the theme leave out (WCAG 2: every
// control needs a name, and a visible label must be part of that name). The
// widgets render after load, so names are added whenever new nodes appear.
(function () {
  "use strict";
  var PLAY_BUTTONS = ["Play or pause", "Stop", "Repeat"];

  function name(root) {
    // A slider handle (noUiSlider, role=slider) takes its widget's description.
    root.querySelectorAll(".widget-slider .noUi-handle:not([aria-label])").forEach(function (handle) {
      var label = handle.closest(".widget-slider").querySelector(".widget-label");
      if (label && label.textContent.trim()) handle.setAttribute("aria-label", label.textContent.trim());
    });
    // ipywidgets writes title="null" on labels without a tooltip: a tooltip saying "null".
    root.querySelectorAll('.widget-label[title="null"]').forEach(function (label) {
      label.removeAttribute("title");
    });
    // The Play widget's buttons hold only icons.
    root.querySelectorAll(".widget-play").forEach(function (play) {
      play.querySelectorAll(":scope > button:not([aria-label])").forEach(function (button, i) {
        button.setAttribute("aria-label", PLAY_BUTTONS[i] || "Play control");
      });
    });
    // Theme: the search button's label "Search" hides its visible "Ctrl+K"; the
    // colour-mode button's icons carry titles ("Light", ...) that differ from its label.
    root.querySelectorAll(".search-button-field[aria-label]").forEach(function (button) {
      button.removeAttribute("aria-label");
    });
    root.querySelectorAll(".theme-switch-button .theme-switch:not([aria-hidden])").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
    });
  }

  function start() {
    name(document);
    new MutationObserver(function () { name(document); })
      .observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
