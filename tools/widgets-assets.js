// Point require.js at the widget manager served beside this file. The bundled
// modules take their public path (where their fonts live) from their module
// URL, so each name maps into html-manager/ too: nothing loads from a CDN.
(function () {
  var dir = document.currentScript.src.replace(/\/[^\/]*$/, "") + "/html-manager";
  var names = ["base", "base7", "controls", "controls7", "html-manager"];
  var paths = { "@jupyter-widgets/html-manager/dist": dir };
  names.forEach(function (name) { paths["@jupyter-widgets/" + name] = dir + "/" + name; });
  require.config({ paths: paths });

  // The theme's Font Awesome (SVG + JS) swaps every <i class="fa ..."> for an
  // <svg>; the Play widget then finds no <i> to restyle, throws, and the error
  // stops the slider-to-frame link. Nesting keeps the <i> (this script runs
  // before the deferred fontawesome.js reads its config).
  window.FontAwesomeConfig = Object.assign(window.FontAwesomeConfig || {}, { autoReplaceSvg: "nest" });

  // The widget labels typeset math through MathJax 2's `MathJax.Hub.Queue`; the
  // site runs MathJax 3 (loaded with `defer`, so present by DOMContentLoaded,
  // before widgets render on `load`). Route those calls to MathJax 3.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.startup) return;
    mj.Hub = {
      Queue: function (job) {
        var element = job && job[2];
        if (element) mj.startup.promise.then(function () { return mj.typesetPromise([element]); });
      },
    };
  });
})();
