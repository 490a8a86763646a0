// The interactive Gantt (vis-timeline, vendored): machines as rows, operations as items.
// Dragging a step asks the server for the impact of "this step on that machine, not before that
// time" (POST /gantt/move); the preview is confirmed or cancelled (POST /gantt/confirm).
(function () {
  var box = document.getElementById("gantt");
  if (!box || !window.vis) return;
  var csrf = document.body.getAttribute("data-csrf");
  var editable = box.getAttribute("data-editable") === "true";
  var preview = document.getElementById("preview");
  var previewText = document.getElementById("preview-text");
  var previewRows = document.querySelector("#preview-rows tbody");
  var previewError = document.getElementById("preview-error");
  var result = document.getElementById("result");
  var items = new vis.DataSet();
  var groups = new vis.DataSet();
  var pending = null; // {token, subject}
  var timeline = null;

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (data) { data._status = r.status; return data; }); });
  }

  var status = document.getElementById("gantt-status"); // "Loading the plan…" until the first answer

  function load(keepWindow) {
    return fetch("/gantt/data", { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (d) {
      if (status) { status.remove(); status = null; }
      document.getElementById("plan-version").textContent = "v" + d.version;
      groups.clear(); groups.add(d.groups);
      items.clear(); items.add(d.items);
      if (!timeline) {
        var now = new Date(d.now);
        timeline = new vis.Timeline(box, items, groups, {
          // the factory's time zone and the page's language, not the browser's
          moment: function (date) { return vis.moment(date).utcOffset(d.utc_offset_minutes); },
          format: axisFormat(d.tz),
          stack: false, editable: editable ? { updateTime: true, updateGroup: true, add: false, remove: false } : false,
          start: new Date(now.getTime() - 6 * 3600e3), end: new Date(now.getTime() + 3 * 86400e3),
          zoomMin: 3600e3, zoomMax: 60 * 86400e3, orientation: "top", margin: { item: 2 },
          groupHeightMode: "fixed", snap: null, tooltip: { followMouse: true },
          onMove: onMove
        });
        timeline.addCustomTime(now, "now");
        window.paichanGantt = { timeline: timeline, items: items };
      }
      box.setAttribute("data-loaded", String(d.version));
    });
  }

  // Axis labels with the browser's Intl in the page's language (zh-Hans / en) and the factory's zone.
  function axisFormat(tz) {
    var lang = document.documentElement.lang || "en";
    function fmt(opts) {
      var f = new Intl.DateTimeFormat(lang, Object.assign({ timeZone: tz }, opts));
      return function (m) { return f.format(m.toDate ? m.toDate() : m); };
    }
    var time = fmt({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    var date = fmt({ month: "short", day: "numeric", weekday: "short" });
    var month = fmt({ year: "numeric", month: "long" });
    var year = fmt({ year: "numeric" });
    var minor = { millisecond: time, second: time, minute: time, hour: time, weekday: date,
                  day: fmt({ day: "numeric" }), week: fmt({ month: "short", day: "numeric" }),
                  month: fmt({ month: "short" }), year: year };
    var major = { millisecond: date, second: date, minute: date, hour: date, weekday: month, day: month,
                  week: month, month: year, year: function () { return ""; } };
    return {
      minorLabels: function (m, scale) { return (minor[scale] || time)(m); },
      majorLabels: function (m, scale) { return (major[scale] || month)(m); }
    };
  }

  function showPreview(d) {
    previewError.hidden = true;
    previewText.innerHTML = d.html;
    previewRows.innerHTML = "";
    (d.rows || []).forEach(function (r) {
      var tr = document.createElement("tr");
      [r.ref + (r.vip ? " ★" : ""), r.customer, r.old, r.new, r.change, r.late].forEach(function (v) {
        var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      previewRows.appendChild(tr);
    });
    pending = { token: d.token, subject: d.subject };
    preview.hidden = false;
  }

  function onMove(item, callback) {
    callback(null); // the plan decides where it lands: keep the item until the new plan is loaded
    result.hidden = true;
    post("/gantt/move", { ref: item.ref, step: item.step, machine: item.group, start: new Date(item.start).toISOString() })
      .then(function (d) {
        if (d.error) { result.textContent = d.error; result.className = "error"; result.hidden = false; return; }
        showPreview(d);
      });
  }

  document.getElementById("confirm").addEventListener("click", function () {
    if (!pending) return;
    post("/gantt/confirm", { token: pending.token, subject: pending.subject }).then(function (d) {
      if (d.error) { previewError.textContent = d.error; previewError.hidden = false; return; }
      if (d.applied === false) { showPreview(d); return; } // the plan moved on: the new impact
      preview.hidden = true; pending = null;
      result.innerHTML = d.html; result.className = "notice"; result.hidden = false;
      load(true);
    });
  });
  document.getElementById("cancel").addEventListener("click", function () {
    if (pending) post("/gantt/confirm", { token: pending.token, cancel: true });
    pending = null; preview.hidden = true;
  });
  document.getElementById("zoom-in").addEventListener("click", function () { timeline && timeline.zoomIn(0.5); });
  document.getElementById("zoom-out").addEventListener("click", function () { timeline && timeline.zoomOut(0.5); });
  document.getElementById("fit").addEventListener("click", function () { timeline && timeline.fit(); });
  load(false).catch(function () {
    if (status) status.textContent = status.getAttribute("data-failed");
  });
})();
