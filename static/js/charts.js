/* Statistics charts (templates/supervision/staff/statistics.html).
 *
 * Each <div class="zq-chart" data-source="ID"> is drawn with ECharts from the JSON that Django's
 * json_script wrote into <script id="ID" type="application/json">:
 *   {kind: "stacked" | "bars" | "rates", title, categories: [...], series: [{name, data: [...]}]}
 * Every chart also has a table of the same numbers in a <details>, so nothing depends on this file.
 */
(function () {
  "use strict";

  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  // Okabe–Ito and Tableau colours: distinguishable with the common colour-vision deficiencies.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
                 "#8C564B", "#F0E442", "#7F7F7F", "#17BECF", "#BCBD22"];
  var charts = [];

  function base() {
    return {
      animation: !reduceMotion,
      color: PALETTE,
      textStyle: {fontFamily: "system-ui, -apple-system, \"Noto Sans CJK SC\", \"Microsoft YaHei\", sans-serif"},
      // Drawn on the canvas: the HTML tooltip writes style="" attributes, which the
      // Content-Security-Policy refuses (style-src without 'unsafe-inline').
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, confine: true, renderMode: "richText"},
      legend: {type: "scroll", top: 0},
      grid: {left: 8, right: 24, top: 40, bottom: 8, containLabel: true}
    };
  }

  function stacked(spec) {
    var option = base();
    option.xAxis = {type: "category", data: spec.categories, axisLabel: {hideOverlap: true}};
    option.yAxis = {type: "value", minInterval: 1};
    option.series = spec.series.map(function (s) {
      return {name: s.name, type: "bar", stack: "total", data: s.data, emphasis: {focus: "series"}};
    });
    return option;
  }

  function horizontal(spec, percent) {
    var option = base();
    option.yAxis = {
      type: "category", data: spec.categories, inverse: true,
      axisLabel: {width: 150, overflow: "truncate"}
    };
    option.xAxis = percent ? {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}}
                           : {type: "value", minInterval: 1};
    if (spec.series.length < 2) { option.legend = {show: false}; option.grid.top = 8; }
    option.series = spec.series.map(function (s) {
      return {
        name: s.name, type: "bar", data: s.data,
        label: {show: !percent, position: "right"},
        barMaxWidth: 22
      };
    });
    if (percent) { option.tooltip.valueFormatter = function (v) { return v == null ? "—" : v + "%"; }; }
    return option;
  }

  var BUILDERS = {
    stacked: stacked,
    bars: function (spec) { return horizontal(spec, false); },
    rates: function (spec) { return horizontal(spec, true); }
  };

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || !window.echarts) { return; }
    var spec = JSON.parse(source.textContent);
    var build = BUILDERS[spec.kind];
    if (!build) { return; }
    // Horizontal bars grow with the number of rows; month charts have a fixed height.
    var rows = spec.kind === "stacked" ? 0 : spec.categories.length * spec.series.length;
    el.style.height = (spec.kind === "stacked" ? 340 : Math.max(200, 60 + rows * 18 + spec.categories.length * 8)) + "px";
    var chart = window.echarts.init(el, null, {renderer: "canvas"});
    chart.setOption(build(spec));
    el.setAttribute("data-rendered", "true");
    charts.push(chart);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".zq-chart"), draw);
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
