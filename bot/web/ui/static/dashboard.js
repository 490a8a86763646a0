// The KPI trend chart (Chart.js, vendored): four series over 7-day windows.
(function () {
  var el = document.getElementById("trend");
  if (!el || !window.Chart) return;
  var t = JSON.parse(el.getAttribute("data-trend"));
  var colors = { lead: "#2f5bea", complaints: "#f79009", delay: "#d92d20", satisfaction: "#12b76a" };
  var datasets = ["lead", "complaints", "delay", "satisfaction"].map(function (key) {
    return { label: t.names[key], data: t[key], borderColor: colors[key], backgroundColor: colors[key],
             yAxisID: key === "lead" ? "days" : "pct", spanGaps: true, tension: 0.25 };
  });
  new window.Chart(el, {
    type: "line",
    data: { labels: t.labels, datasets: datasets },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { days: { position: "left", beginAtZero: true }, pct: { position: "right", beginAtZero: true, max: 100,
                grid: { drawOnChartArea: false } } } }
  });
})();
