/* Planning a meeting (templates/meetings/staff/plan.html): filter the invited enterprises by tag and
 * name, select or clear the shown ones, count the selection, and warn when talks invite too few.
 *
 * The form carries what the server knows:
 *   <form id="plan-form" data-kind-field="ID of the kind select" data-talks="value meaning talks"
 *         data-min-firms="N">
 */
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("plan-form");
    var list = document.getElementById("firm-list");
    if (!form || !list) { return; }
    var boxes = Array.prototype.slice.call(list.querySelectorAll("input[type=checkbox]"));
    var tag = document.getElementById("firm-tag"), search = document.getElementById("firm-search");
    var kind = document.getElementById(form.dataset.kindField);
    var talks = form.dataset.talks, minFirms = parseInt(form.dataset.minFirms, 10);
    var count = document.getElementById("firm-n"), warning = document.getElementById("firm-warning");

    function row(box) { return box.closest("div"); }
    function shown(box) { return !row(box).hidden; }
    function filter() {
      var code = tag.value, text = search.value.trim().toLowerCase();
      boxes.forEach(function (box) {
        var tags = (box.dataset.tags || "").split(" ");
        var label = row(box).textContent.toLowerCase();
        row(box).hidden = Boolean((code && tags.indexOf(code) < 0) || (text && label.indexOf(text) < 0));
      });
    }
    function update() {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      count.textContent = n;
      warning.hidden = !(kind && kind.value === talks && n < minFirms);
    }
    function setShown(checked) {
      boxes.filter(shown).forEach(function (b) { b.checked = checked; });
      update();
    }

    tag.addEventListener("change", filter);
    search.addEventListener("input", filter);
    list.addEventListener("change", update);
    if (kind) { kind.addEventListener("change", update); }
    document.getElementById("firm-all").addEventListener("click", function () { setShown(true); });
    document.getElementById("firm-none").addEventListener("click", function () { setShown(false); });
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
