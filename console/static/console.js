/* The supervisor's console: puts the server's live part in place when it is pushed, and sends the
   action forms without leaving the page.  ES2017, no build step, no words of its own: the server
   writes every text (console/page.py) and escapes it. */
(function () {
  'use strict';
  var live = document.getElementById('live');
  var result = document.getElementById('result');
  var connection = document.getElementById('connection');
  var socket = null;
  var wait = 1000;

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    socket = new WebSocket(scheme + location.host + '/ws');
    socket.onopen = function () {
      wait = 1000;
      connection.hidden = true;
      connection.textContent = '';
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.end) {
        location.assign(message.end);
      } else if (typeof message.live === 'string') {
        live.innerHTML = message.live;
      }
    };
    socket.onclose = function () {
      connection.textContent = connection.getAttribute('data-text');
      connection.hidden = false;
      setTimeout(connect, wait);
      wait = Math.min(wait * 2, 10000);
    };
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && socket && socket.readyState === WebSocket.OPEN) {
      socket.send('sync');
    }
  });

  function send(form) {
    var button = form.querySelector('button[type=submit]');
    button.disabled = true;
    result.className = 'pending';
    return fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      headers: {Accept: 'application/json'},
      credentials: 'same-origin'
    }).then(function (response) {
      if (response.status === 401) {
        location.assign('/login');
        return null;
      }
      return response.json();
    }).then(function (answer) {
      if (answer) {
        result.textContent = answer.message;
        result.className = answer.ok ? 'ok' : 'error';
        if (answer.ok) {
          var reason = form.querySelector('input[name=reason]');
          if (reason) { reason.value = ''; }
        }
      }
    }).catch(function () {
      result.textContent = connection.getAttribute('data-text');
      result.className = 'error';
    }).then(function () {
      button.disabled = false;
    });
  }

  var forms = document.querySelectorAll('form.action');
  for (var i = 0; i < forms.length; i += 1) {
    forms[i].addEventListener('submit', function (event) {
      event.preventDefault();
      send(event.currentTarget);
    });
  }
  connect();
}());
