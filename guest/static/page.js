/* The visitor's ticket page: one WebSocket to the page server, which words every message.
   ES2017 only (tests/test_guest_page.py parses it at ecmaVersion 2017). */
(function () {
  "use strict";
  var parts = location.pathname.split("/");
  var ref = parts[2] || "";
  var query = new URLSearchParams(location.search);
  var lang = query.get("lang") || "";
  var socket = null;
  var retry = 1000;
  var audio = null;
  var last = {state: "", alert: "", recalls: -1};
  var $ = function (id) { return document.getElementById(id); };

  function show(id, text) {
    var el = $(id);
    el.textContent = text || "";
    el.hidden = !text;
  }

  function tone(at, freq, length) {
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.5, at + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(at);
    osc.stop(at + length + 0.05);
  }

  function chime(times) {
    if (audio) {
      var t = audio.currentTime + 0.05;
      for (var i = 0; i < times; i++) {
        tone(t, 880, 0.35);
        tone(t + 0.4, 660, 0.6);
        t += 1.3;
      }
    }
    if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 800]); }
  }

  function render(msg) {
    document.documentElement.lang = msg.lang;
    document.documentElement.dir = msg.dir;
    document.title = msg.title;
    show("title", msg.title);
    var none = msg.state === "none" || msg.state === "busy";
    show("keep", none ? "" : msg.keep_open);
    $("sound").textContent = audio ? msg.sound_on : msg.sound;
    $("sound").hidden = none;
    show("offline", msg.hub_down || "");
    Array.prototype.forEach.call(document.querySelectorAll("#langs button"), function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-lang") === msg.lang));
    });
    show("none", msg.state === "busy" ? msg.busy : (msg.state === "none" ? msg.none : ""));
    show("code", none ? "" : msg.code);
    show("service", none ? "" : msg.service);
    show("ahead", msg.state === "waiting" ? msg.ahead : "");
    show("wait", msg.state === "waiting" ? msg.wait : "");
    show("alert", msg.state === "waiting" ? msg.alert : "");
    $("banner").hidden = msg.state !== "called";
    $("banner-text").textContent = msg.banner || "";
    $("banner-code").textContent = msg.state === "called" ? msg.code : "";
    if (msg.state === "called" && (last.state !== "called" || msg.recalls !== last.recalls)) {
      chime(3);
    } else if (msg.state === "waiting" && msg.alert && !last.alert) {
      chime(1);
    }
    last = {state: msg.state, alert: msg.alert || "", recalls: msg.recalls === undefined ? -1 : msg.recalls};
    lang = msg.lang;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + "/t/" + encodeURIComponent(ref) + "/ws" + (lang ? "?lang=" + lang : "");
    socket = new WebSocket(url);
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (event) { render(JSON.parse(event.data)); };
    socket.onclose = function () {
      socket = null;
      // why: a refused socket (too many tries) says it in the answer to the same question over HTTP
      fetch("/t/" + encodeURIComponent(ref) + "/state" + (lang ? "?lang=" + lang : ""))
        .then(function (response) { return response.status === 429 ? response.json() : null; })
        .then(function (msg) { if (msg) { render(msg); } })
        .catch(function () { show("offline", $("offline").getAttribute("data-text")); });
      if (last.state !== "busy") { show("offline", $("offline").getAttribute("data-text")); }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  function send(text) {
    if (socket && socket.readyState === 1) { socket.send(text); return true; }
    return false;
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !send("sync")) {
      if (socket) { socket.close(); } else { retry = 1000; connect(); }
    }
  });

  $("sound").addEventListener("click", function () {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = new Context(); }
    if (audio && audio.state === "suspended") { audio.resume(); }
    if (audio) { tone(audio.currentTime + 0.05, 880, 0.2); }
    send("sync");
  });

  Array.prototype.forEach.call(document.querySelectorAll("#langs button"), function (button) {
    button.addEventListener("click", function () {
      lang = button.getAttribute("data-lang");
      history.replaceState(null, "", "?lang=" + lang);
      send("lang:" + lang);
    });
  });

  if (navigator.wakeLock) {
    navigator.wakeLock.request("screen").catch(function () {});
  }
  connect();
}());
