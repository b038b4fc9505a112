// The console's own script: the charts (Chartist) and the maps (Leaflet), drawn from
// data-* attributes the server fills, so pages stay readable without it.
(function () {
  "use strict";
  var colours = { not_checked: "#9e9e9e", checked: "#1565c0", compliant: "#2e7d32", not_compliant: "#c62828" };

  function charts() {
    if (!window.Chartist) return;
    var years = document.getElementById("chart-years");
    if (years) {
      var data = JSON.parse(years.dataset.chart);
      new Chartist.BarChart(years, {
        labels: data.years,
        series: [data.series.k1, data.series.k3, data.series.coverage]
      }, { high: 100, low: 0, axisY: { onlyInteger: true, labelInterpolationFnc: function (v) { return v + "%"; } } });
    }
    var weeks = document.getElementById("chart-weeks");
    if (weeks) {
      var w = JSON.parse(weeks.dataset.chart);
      new Chartist.BarChart(weeks, { labels: w.weeks, series: [w.counts] },
        { low: 0, axisY: { onlyInteger: true }, axisX: { labelInterpolationFnc: function (v, i) { return i % 4 === 0 ? v : null; } } });
    }
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span.innerHTML;
  }

  function maps() {
    var element = document.getElementById("map");
    if (!element || !window.L) return;
    var points = JSON.parse(element.dataset.points || "[]");
    var labels = JSON.parse(element.dataset.labels || "{}");
    var map = L.map(element, { preferCanvas: true, maxZoom: 19 });
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    var layer = element.dataset.cluster && L.markerClusterGroup ? L.markerClusterGroup() : L.featureGroup();
    points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: 8, weight: 2, color: "#fff", fillOpacity: 0.9, fillColor: colours[p.state] || "#1565c0"
      });
      var popup = "<strong>" + text(p.name) + "</strong>";
      if (p.code) {
        popup += "<br>" + text(p.commune) + "<br>" + text(labels.checks) + ": " + text(p.checks) +
          '<br><a href="/checks?site=' + encodeURIComponent(p.code) + '">' + text(labels.open) + "</a>";
      }
      marker.bindPopup(popup);
      marker.options.state = p.state;
      layer.addLayer(marker);
    });
    layer.addTo(map);
    if (points.length) {
      map.fitBounds(L.latLngBounds(points.map(function (p) { return [p.lat, p.lon]; })).pad(0.2), { maxZoom: 15 });
    } else {
      map.setView([15.12, 108.8], 9);  // Quảng Ngãi
    }
    element.dataset.ready = String(points.length);
  }

  function start() { charts(); maps(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
