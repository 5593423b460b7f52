// The downloads page's live part: every download event (WatchDownloads'
// stream) updates its row in place; a new download gets a row on top. The
// stream starts at the table's data-after, the newest event's seq when the
// server rendered the rows, so nothing already shown is replayed and a row
// not on the page is a download newer than the page; the SSE id (the
// event's seq) lets a reconnect resume. textContent only.
(function () {
  "use strict";
  var table = document.getElementById("downloads-table");
  if (!table) return;
  var body = table.tBodies[0];
  var state = document.getElementById("stream-state");

  function cell(tr, cls) {
    var td = tr.querySelector("td." + cls);
    return td;
  }

  function newRow(d) {
    var tr = document.createElement("tr");
    tr.dataset.download = d.id;
    var title = document.createElement("td");
    title.className = "title";
    title.dataset.label = "Release";
    var link = document.createElement("a");
    link.href = "/albums/" + encodeURIComponent(d.album_id);
    title.appendChild(link);
    tr.appendChild(title);
    // The phone layout shows each cell's column from data-label.
    [["state", "State"], ["progress", "Progress"], ["size", "Size"], ["message", "What happened last"]].forEach(function (c) {
      var td = document.createElement("td");
      td.className = c[0];
      td.dataset.label = c[1];
      tr.appendChild(td);
    });
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", "Progress of " + d.title);
    var percent = document.createElement("span");
    percent.className = "percent";
    cell(tr, "progress").append(bar, " ", percent);
    body.insertBefore(tr, body.firstChild);
    var empty = document.getElementById("no-downloads");
    if (empty) empty.remove();
    return tr;
  }

  var after = /^[0-9]+$/.test(table.dataset.after || "") ? table.dataset.after : "0";
  var source = new EventSource("/downloads/events?after=" + after);
  source.addEventListener("open", function () { state.textContent = "live"; });
  source.addEventListener("error", function () {
    // A reconnect answered with anything but a stream (401 after the key
    // changed) closes the EventSource for good: say so.
    if (source.readyState === EventSource.CLOSED) {
      var reload = document.createElement("a");
      reload.href = window.location.href;
      reload.textContent = "reload the page";
      state.replaceChildren("The live connection was refused: ", reload, ".");
    } else {
      state.textContent = "reconnecting…";
    }
  });
  source.addEventListener("download", function (e) {
    var d = JSON.parse(e.data);
    var tr = body.querySelector("tr[data-download='" + CSS.escape(d.id) + "']") || newRow(d);
    tr.querySelector("td.title a").textContent = d.title;
    cell(tr, "state").textContent = d.state;
    var pct = Math.round(Math.max(0, Math.min(1, d.progress)) * 100);
    tr.querySelector("progress").value = pct;
    tr.querySelector(".percent").textContent = pct + " %";
    cell(tr, "size").textContent = d.size;
    cell(tr, "message").textContent = d.message;
  });
})();
