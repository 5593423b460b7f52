// The run page's live part: the run's events through Server-Sent Events.
// Every event carries its seq as the SSE id, so the browser's automatic
// reconnect (a dropped network, a restart of serve) resumes after the last
// one it had. Strings are written with textContent only: nothing from an
// indexer or MusicBrainz is ever read as HTML.
(function () {
  "use strict";
  var steps = document.getElementById("steps");
  if (!steps || steps.dataset.finished === "true") return;
  var run = steps.dataset.run;
  var state = document.getElementById("stream-state");
  var outcome = document.getElementById("outcome");
  var seen = {};
  Array.prototype.forEach.call(steps.children, function (li) { seen[li.dataset.seq] = true; });

  function badge(cls, text) {
    var span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    return span;
  }

  function closed(where) {
    var reload = document.createElement("a");
    reload.href = window.location.href;
    reload.textContent = "reload the page";
    where.replaceChildren("The live connection was refused: ", reload, ".");
  }

  function refreshCandidates() {
    fetch("/runs/" + run + "/candidates", { headers: { "Accept": "text/html" } })
      .then(function (r) {
        // A fragment is never redirected: a redirect is the login form
        // (the cookie is no longer valid). Go there, don't insert it.
        if (r.redirected) { window.location.assign(r.url); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        // Rendered and escaped by the server.
        if (html !== null) document.getElementById("candidates").innerHTML = html;
      })
      .catch(function () {});
  }

  var source = new EventSource("/runs/" + run + "/events?after=" + steps.dataset.after);
  var connections = 0;
  source.addEventListener("open", function () {
    state.textContent = "live";
    // A reconnect may follow a restart of serve: its forms need the new
    // process's token, and the offer may have changed meanwhile.
    if (connections++ > 0) refreshCandidates();
  });
  source.addEventListener("error", function () {
    // A reconnect answered with anything but a stream (401 after the key
    // changed, 404) closes the EventSource for good: say so.
    if (source.readyState === EventSource.CLOSED) closed(state);
    else state.textContent = "reconnecting…";
  });
  source.addEventListener("notice", function (e) { state.textContent = e.data; });
  source.addEventListener("step", function (e) {
    var ev = JSON.parse(e.data);
    if (seen[ev.seq]) return;
    seen[ev.seq] = true;
    var li = document.createElement("li");
    li.dataset.seq = ev.seq;
    li.appendChild(badge(ev["class"], ev.status));
    li.appendChild(document.createTextNode(" "));
    var message = document.createElement("span");
    message.className = "message";
    message.textContent = ev.message;
    li.appendChild(message);
    li.appendChild(document.createTextNode(" "));
    var time = document.createElement("time");
    time.className = "meta";
    time.dateTime = ev.at;
    time.textContent = ev.at_text;
    li.appendChild(time);
    steps.appendChild(li);
    steps.dataset.after = ev.seq;
    outcome.replaceChildren(badge(ev["class"], ev.status), document.createTextNode(" "), message.cloneNode(true));
    if (ev.status === "PARSING_RESULTS" || ev.offer || ev.terminal) refreshCandidates();
  });
  source.addEventListener("end", function () {
    source.close();
    state.textContent = "finished";
    steps.dataset.finished = "true";
    refreshCandidates();
  });
})();
