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
    // Theme: labels that hide or contradict visible text (WCAG 2.5.3). The search
    // button's label "Search" leaves out its visible "Ctrl+K"; the fold toggles of
    // hidden cells say "Toggle hidden content" over "Show code cell source"; the
    // colour-mode button's icons carry titles ("Light", ...) other than its label.
    root.querySelectorAll('.search-button-field[aria-label], summary[aria-label="Toggle hidden content"]')
      .forEach(function (el) { el.removeAttribute("aria-label"); });
    root.querySelectorAll(".theme-switch-button svg[role]").forEach(function (icon) {
      icon.querySelectorAll("title").forEach(function (title) { title.remove(); });
      icon.removeAttribute("aria-labelledby");
      icon.removeAttribute("role");
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
