/* When the hub cannot be reached, feedback is kept on this phone (IndexedDB) and sent by
   itself later; what is typed is kept as a draft. Works over plain HTTP too: only the
   service worker needs a secure context. Without JavaScript the hub works as before. */
(function () {
  'use strict';
  if (window.isSecureContext && 'serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
  }
  var form = document.querySelector('form.record[data-outbox]');
  var banner = document.getElementById('outbox');
  if (!form || !banner || !window.indexedDB) { return; }
  var DB_NAME = 'hub-outbox', STORE = 'outbox', RETRY_MS = 15000;
  var draftKey = 'draft:' + form.getAttribute('action');

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: 'uuid' });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && result.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  function allWaiting() { return withStore('readonly', function (s) { return s.getAll(); }); }

  function fields() {
    var pairs = [];
    var data = new FormData(form);
    data.forEach(function (value, name) { pairs.push([name, value]); });
    return pairs;
  }

  function newUuid() {
    // crypto.getRandomValues works on plain HTTP, where crypto.randomUUID does not.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function hubReachable() {
    var timeout = new Promise(function (resolve) { setTimeout(function () { resolve(false); }, 4000); });
    var probe = fetch('/healthz', { cache: 'no-store' }).then(function (r) { return r.ok; })
      .catch(function () { return false; });
    return Promise.race([probe, timeout]);
  }

  function text(name, count) {
    return (banner.getAttribute('data-' + name) || '').replace('%(num)s', String(count));
  }

  function show(items, delivered) {
    var waiting = items.length;
    banner.hidden = waiting === 0 && !delivered.length;
    banner.querySelector('.outbox-count').textContent = waiting ? text('waiting', waiting) : '';
    banner.querySelector('.outbox-warning').hidden = waiting === 0;
    banner.querySelector('button').hidden = waiting === 0;
    var list = banner.querySelector('.outbox-delivered');
    list.textContent = '';
    delivered.forEach(function (code) {
      var item = document.createElement('li');
      item.textContent = text('delivered', 0).replace('%(code)s', code);
      list.appendChild(item);
    });
  }

  var delivered = [];
  function refresh() { return allWaiting().then(function (items) { show(items, delivered); }); }

  function deliver(item) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(item.action, { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (response) {
        if (response.ok) {
          return response.text().then(function (html) {
            var match = /class="receipt"[^>]*>([^<]+)</.exec(html);
            if (match) { delivered.push(match[1]); }
            return withStore('readwrite', function (s) { return s['delete'](item.uuid); });
          });
        }
        return null; // kept: the hub refused it for now (an expired page, too many at once)
      });
  }

  var sending = false;
  function deliverAll() {
    if (sending) { return Promise.resolve(); }
    sending = true;
    return allWaiting().then(function (items) {
      return items.reduce(function (chain, item) {
        return chain.then(function () { return deliver(item); });
      }, Promise.resolve());
    }).catch(function () {}).then(function () { sending = false; return refresh(); });
  }

  function keepOnPhone() {
    var uuidField = form.querySelector('input[name="_uuid"]');
    var item = { uuid: uuidField.value, action: form.getAttribute('action'), fields: fields(),
                 saved: new Date().toISOString() };
    return withStore('readwrite', function (s) { return s.put(item); }).then(function () {
      localStorage.removeItem(draftKey);
      form.reset();
      uuidField.value = newUuid();
      form.dispatchEvent(new Event('change'));
      banner.scrollIntoView();
      return refresh();
    });
  }

  form.addEventListener('submit', function (event) {
    if (form.getAttribute('data-checked') === 'yes') { return; }
    event.preventDefault();
    hubReachable().then(function (reachable) {
      if (reachable) {
        form.setAttribute('data-checked', 'yes');
        localStorage.removeItem(draftKey);
        form.submit();
      } else {
        keepOnPhone();
      }
    });
  });

  // Drafts: what is typed survives a reload or a closed tab.
  form.addEventListener('input', function () {
    localStorage.setItem(draftKey, JSON.stringify(fields()));
  });
  var saved = localStorage.getItem(draftKey);
  if (saved) {
    JSON.parse(saved).forEach(function (pair) {
      var name = pair[0], value = pair[1];
      if (name === 'csrf_token' || name === '_shown') { return; }
      var inputs = form.querySelectorAll('[name="' + name + '"]');
      Array.prototype.forEach.call(inputs, function (input) {
        if (input.type === 'radio' || input.type === 'checkbox') {
          if (input.value === value) { input.checked = true; }
        } else { input.value = value; }
      });
    });
    form.dispatchEvent(new Event('change'));
  }

  banner.querySelector('button').addEventListener('click', deliverAll);
  window.addEventListener('online', deliverAll);
  setInterval(deliverAll, RETRY_MS);
  refresh().then(deliverAll);
}());
