/* When the hub cannot be reached, a finished form is kept on this phone (IndexedDB) and
   sent by itself later, exactly once (its UUID is made here and the hub ignores a repeat);
   what is typed is kept as a draft. Works over plain HTTP too: only the service worker
   needs a secure context. Without JavaScript the hub works as before. */
(function () {
  'use strict';
  if (window.isSecureContext && 'serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
  }
  if (!window.indexedDB) { return; }
  // With script and storage, a form opens whole, so that it can be finished away from the hub.
  Array.prototype.forEach.call(document.querySelectorAll('a[data-phone]'), function (link) {
    link.href = link.getAttribute('data-phone');
  });
  var banner = document.getElementById('outbox');
  if (!banner) { return; }
  var form = document.querySelector('form.record[data-outbox]');
  var DB_NAME = 'hub-outbox', STORE = 'outbox', RETRY_MS = 15000, OUTBOX = { 'X-Hub-Outbox': '1' };
  var draftKey = form && 'draft:' + form.getAttribute('action');
  var delivered = [], refused = '';

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
    new FormData(form).forEach(function (value, name) { pairs.push([name, value]); });
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

  function show(items) {
    var waiting = items.length;
    banner.hidden = waiting === 0 && !delivered.length && !refused;
    banner.querySelector('.outbox-count').textContent = waiting
      ? banner.getAttribute('data-waiting').replace('%(num)s', String(waiting)) : '';
    banner.querySelector('.outbox-warning').hidden = waiting === 0;
    banner.querySelector('button').hidden = waiting === 0;
    banner.querySelector('.outbox-refused').textContent = waiting ? refused : '';
    var list = banner.querySelector('.outbox-delivered');
    list.textContent = '';
    delivered.forEach(function (message) {
      var item = document.createElement('li');
      item.textContent = message;
      list.appendChild(item);
    });
  }

  function refresh() { return allWaiting().then(show); }

  // The token kept with a record may belong to an older session: ask for a current one.
  function currentToken() {
    return fetch('/csrf-token', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { return r.json(); }).then(function (data) { return data.csrf_token; });
  }

  function deliver(item, token) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) {
      body.append(pair[0], pair[0] === 'csrf_token' ? token : pair[1]);
    });
    return fetch(item.action, { method: 'POST', body: body, credentials: 'same-origin',
                                headers: OUTBOX, redirect: 'manual' })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok && data && data.uuid === item.uuid) {
            delivered.push(data.message);
            return withStore('readwrite', function (s) { return s['delete'](item.uuid); });
          }
          refused = (data && data.message) || ''; // kept: signed out, or refused for now
          return null;
        });
      });
  }

  var sending = false;
  function deliverAll() {
    if (sending) { return Promise.resolve(); }
    sending = true;
    return allWaiting().then(function (items) {
      if (!items.length) { return null; }
      return currentToken().then(function (token) {
        return items.reduce(function (chain, item) {
          return chain.then(function () { return deliver(item, token); });
        }, Promise.resolve());
      });
    }).catch(function () {}).then(function () { sending = false; return refresh(); });
  }

  banner.querySelector('button').addEventListener('click', deliverAll);
  window.addEventListener('online', deliverAll);
  setInterval(deliverAll, RETRY_MS);
  refresh().then(deliverAll);
  if (form) { keepFormOnPhone(); }

  function keepFormOnPhone() {
    var uuidField = form.querySelector('input[name="_uuid"]');

    function keepInOutbox() {
      var item = { uuid: uuidField.value, action: form.getAttribute('action'),
                   fields: fields().concat([['_action', 'finalize']]), saved: new Date().toISOString() };
      return withStore('readwrite', function (s) { return s.put(item); }).then(function () {
        localStorage.removeItem(draftKey);
        form.reset();
        uuidField.value = newUuid();
        form.dispatchEvent(new Event('change'));
        banner.scrollIntoView();
        return refresh();
      });
    }

    function sendToHub(action) {
      var field = document.createElement('input');
      field.type = 'hidden';
      field.name = '_action';
      field.value = action;
      form.appendChild(field);
      localStorage.removeItem(draftKey);
      form.setAttribute('data-checked', 'yes');
      form.submit();
    }

    form.addEventListener('submit', function (event) {
      if (event.defaultPrevented || form.getAttribute('data-checked') === 'yes') { return; }
      event.preventDefault();
      var action = event.submitter ? event.submitter.value : 'finalize';
      hubReachable().then(function (reachable) {
        if (reachable) { sendToHub(action); } else if (action === 'draft') {
          refused = banner.getAttribute('data-draft-kept');
          banner.hidden = false;
          banner.querySelector('.outbox-refused').textContent = refused;
          banner.scrollIntoView();
        } else { keepInOutbox(); }
      });
    });

    // Drafts: what is typed survives a reload, a closed tab, or a page kept by the service worker.
    function keepDraft() { localStorage.setItem(draftKey, JSON.stringify(fields())); }
    form.addEventListener('input', keepDraft);
    form.addEventListener('change', keepDraft);
    var saved = localStorage.getItem(draftKey);
    if (!saved) {
      uuidField.value = newUuid(); // never the UUID of a page kept in a cache
      return;
    }
    JSON.parse(saved).forEach(function (pair) {
      var name = pair[0], value = pair[1];
      if (name === 'csrf_token' || name === '_shown') { return; }
      Array.prototype.forEach.call(form.querySelectorAll('[name="' + name + '"]'), function (input) {
        if (input.type === 'radio' || input.type === 'checkbox') {
          if (input.value === value) { input.checked = true; }
        } else { input.value = value; }
      });
    });
    form.dispatchEvent(new Event('change'));
  }
}());
