/* Nahraum participant page: join by code, drop a pin, vote. Texts come from the server
   (catalogs); participant text is only ever set as textContent (never as HTML). */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("texts").textContent);
  var COLORS = { missing: "#c0392b", known: "#2e7d32", too_far: "#e67e22" };
  var POLL_MS = 2500;
  var code = null, client = null, map = null, layer = null, pending = null, outlineDone = false;
  var voted = {}, timer = null;

  function $(id) { return document.getElementById(id); }

  function say(text, ok) {
    var m = $("msg");
    m.textContent = text || "";
    m.className = ok ? "msg ok" : "msg";
    m.hidden = !text;
  }

  function api(action, body) {
    var opts = { method: body === undefined ? "GET" : "POST", headers: {}, cache: "no-store" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (client) { opts.headers["X-Nahraum-Client"] = client; }
    return fetch("/api/" + encodeURIComponent(code) + "/" + action, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var err = new Error(data.error || T.pp_offline);
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }

  function showJoin(message) {
    $("board").hidden = true;
    $("join").hidden = false;
    if (message) { say(message); }
  }

  function start(c) {
    code = c.toUpperCase().replace(/[\s_-]/g, "");
    var key = "nahraum-client-" + code;
    client = window.sessionStorage.getItem(key);
    var joined = client ? Promise.resolve() : api("join", {}).then(function (d) {
      client = d.client;
      window.sessionStorage.setItem(key, client);
    });
    joined.then(function () { return api("state"); }).then(function (state) {
      if (window.location.pathname !== "/j/" + code) {
        window.history.replaceState(null, "", "/j/" + code);
      }
      $("join").hidden = true;
      $("board").hidden = false;
      say("");
      setup(state);
      render(state);
      if (!timer) { timer = window.setInterval(poll, POLL_MS); }
    }).catch(function (e) { showJoin(e.message); });
  }

  function setup(state) {
    if (map) { return; }
    map = L.map("map", { zoomControl: true, attributionControl: false, tap: true });
    window.nahraumMap = map;  // for the browser tests
    var outline = L.geoJSON(state.outline, {
      style: { color: "#1f4e5f", weight: 2, fillColor: "#ffffff", fillOpacity: 0.7 },
      interactive: false
    }).addTo(map);
    map.fitBounds(outline.getBounds(), { padding: [8, 8] });
    layer = L.layerGroup().addTo(map);
    map.on("click", function (ev) { place(ev.latlng); });
    var kinds = $("kinds");
    state.kinds.forEach(function (k, i) {
      var label = document.createElement("label");
      label.className = "kind";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "kind";
      input.value = k.code;
      if (i === 0) { input.checked = true; }
      label.appendChild(input);
      label.appendChild(document.createTextNode(k.label));
      kinds.appendChild(label);
    });
    $("text").maxLength = state.text_max;
    $("pinform").addEventListener("submit", send);
    $("cancel").addEventListener("click", function () { clearPending(); });
    outlineDone = true;
  }

  function place(latlng) {
    clearPending();
    pending = L.circleMarker(latlng, { radius: 12, color: "#1f4e5f", weight: 3, fillOpacity: 0.2 });
    pending.addTo(map);
    $("pinform").hidden = false;
    say(T.pp_new_pin, true);
    $("text").focus();
  }

  function clearPending() {
    if (pending) { map.removeLayer(pending); }
    pending = null;
    $("pinform").hidden = true;
  }

  function send(ev) {
    ev.preventDefault();
    if (!pending) { say(T.pp_tap_map); return; }
    var kind = document.querySelector("input[name=kind]:checked");
    var ll = pending.getLatLng();
    $("send").disabled = true;
    api("pin", { kind: kind ? kind.value : "", text: $("text").value, lon: ll.lng, lat: ll.lat })
      .then(function () {
        $("text").value = "";
        clearPending();
        say(T.pp_sent, true);
        return poll();
      })
      .catch(function (e) { say(e.message); })
      .then(function () { $("send").disabled = false; });
  }

  function vote(id, button) {
    button.disabled = true;
    api("vote", { target: id }).then(function () {
      voted[id] = true;
      say(T.pp_voted, true);
      return poll();
    }).catch(function (e) {
      if (e.status === 409) { voted[id] = true; }
      say(e.message);
      button.disabled = !!voted[id];
    });
  }

  function item(id, title, sub, votes) {
    var li = document.createElement("li");
    li.dataset.id = id;
    var what = document.createElement("span");
    what.className = "what";
    if (sub) {
      var k = document.createElement("span");
      k.className = "kindlabel";
      k.textContent = sub;
      what.appendChild(k);
    }
    what.appendChild(document.createTextNode(title));
    var b = document.createElement("button");
    b.type = "button";
    b.className = "vote";
    b.textContent = T.pp_vote + " (" + votes + ")";
    b.setAttribute("aria-label", T.pp_vote + ": " + title);
    b.disabled = !!voted[id];
    b.addEventListener("click", function () { vote(id, b); });
    li.appendChild(what);
    li.appendChild(b);
    return li;
  }

  function render(state) {
    if (!outlineDone) { return; }
    var labels = {};
    state.kinds.forEach(function (k) { labels[k.code] = k.label; });
    layer.clearLayers();
    var pins = $("pins"), sites = $("sites");
    pins.textContent = "";
    sites.textContent = "";
    state.sites.forEach(function (s) {
      L.circleMarker([s.lat, s.lon], { radius: 9, color: "#1f4e5f", fillColor: "#1f4e5f",
        fillOpacity: 0.9 }).addTo(layer);
      sites.appendChild(item(s.id, s.name, "", s.votes));
    });
    state.pins.slice().reverse().forEach(function (p) {
      L.circleMarker([p.lat, p.lon], { radius: 8, color: COLORS[p.kind] || "#555",
        fillOpacity: 0.8, interactive: false }).addTo(layer);
      pins.appendChild(item(p.id, p.text || "–", labels[p.kind] || p.kind, p.votes));
    });
    if (!state.sites.length) { sites.appendChild(empty()); }
    if (!state.pins.length) { pins.appendChild(empty()); }
  }

  function empty() {
    var li = document.createElement("li");
    li.textContent = T.pp_none;
    return li;
  }

  function poll() {
    return api("state").then(render).catch(function (e) {
      if (e.status === 404 || e.status === 410) { showJoin(e.message); }
    });
  }

  $("join").addEventListener("submit", function (ev) {
    ev.preventDefault();
    start($("code").value);
  });
  var m = window.location.pathname.match(/^\/j\/([A-Za-z0-9-]+)$/);
  if (m) { start(m[1]); } else { showJoin(""); }
}());
