/* When the hub cannot be reached, a finished form is kept on this phone (IndexedDB) and
   sent by itself later, exactly once (its UUID is made here and the hub ignores a repeat);
   what is typed is kept as a draft, except on the kiosk, which strangers use in turn.
   Works over plain HTTP too: only the service worker needs a secure context. Without
   JavaScript the hub works as before. */
(function () {
  'use strict';
  // A page brought back whole from the browser's memory (Back, Forward) would show what was
  // typed or shown before a send or a sign-out to whoever holds the phone now: the hub's
  // page is asked for again instead (an empty kiosk form, no receipt code, or the sign-in).
  window.addEventListener('pageshow', function (event) {
    if (event.persisted && document.querySelector('form.record, .receipt, form[data-session]')) {
      window.location.reload();
    }
  });
  if (window.isSecureContext && 'serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
    keepLanguages();
  }

  // Once a visit, a page the service worker keeps is kept in each language of its bar too.
  function keepLanguages() {
    var key = 'languages-kept:' + location.pathname;
    if (!navigator.onLine || sessionStorage.getItem(key)) { return; }
    var urls = Array.prototype.map.call(document.querySelectorAll('.langs a[hreflang]'),
      function (link) { return link.href; });
    navigator.serviceWorker.ready.then(function (registration) {
      if (!registration.active) { return; }
      registration.active.postMessage({ keepLanguages: urls });
      sessionStorage.setItem(key, '1');
    });
  }
  // Pages kept for offline use belong to whoever was signed in: forget them when that changes.
  Array.prototype.forEach.call(document.querySelectorAll('form[data-session]'), function (session) {
    session.addEventListener('submit', function (event) {
      if (!window.caches || session.getAttribute('data-cleared') === 'yes') { return; }
      event.preventDefault();
      var done = function () { session.setAttribute('data-cleared', 'yes'); session.submit(); };
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) { return name.indexOf('hub-pages-') === 0; })
          .map(function (name) { return caches['delete'](name); }));
      }).then(done, done);
    });
  });
  if (!window.indexedDB) { return; }
  // With script and storage, a form opens whole, so that it can be finished away from the hub.
  Array.prototype.forEach.call(document.querySelectorAll('a[data-phone]'), function (link) {
    link.href = link.getAttribute('data-phone');
  });
  var banner = document.getElementById('outbox');
  if (!banner) { return; }
  var form = document.querySelector('form.record[data-outbox]');
  var DB_NAME = 'hub-outbox', STORE = 'outbox', RETRY_MS = 15000, OUTBOX = { 'X-Hub-Outbox': '1' };
  // Drafts are kept per enumerator: a shared phone never shows one person's interview to another.
  // The kiosk keeps none: the next stranger would find what the last one left half written.
  var kiosk = !!form && form.hasAttribute('data-kiosk');
  var draftKey = form && 'draft:' + (form.getAttribute('data-user') || '') + ':' + form.getAttribute('action');
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

  // The form's fields; a photo or file chosen is kept as its File (IndexedDB stores it),
  // a file input left empty is not.
  function fields() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (isFile(value) && !value.size) { return; }
      pairs.push([name, value]);
    });
    return pairs;
  }

  function isFile(value) { return typeof Blob !== 'undefined' && value instanceof Blob; }

  function newUuid() {
    // crypto.getRandomValues works on plain HTTP, where crypto.randomUUID does not.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
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

  function refresh() {
    return allWaiting().then(function (items) {
      if (window.location.protocol === 'http:') { // see hub.prefer_https
        document.cookie = 'hub_outbox=' + (items.length ? '1; max-age=31536000' : '; max-age=0') +
          '; path=/; SameSite=Lax';
      }
      show(items);
    });
  }

  // The token kept with a record may belong to an older session: ask for a current one.
  function currentToken() {
    return fetch('/csrf-token', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { return r.json(); }).then(function (data) { return data.csrf_token; });
  }

  // Whether the hub answers within 4 s. Its answer writes nothing and opens no session, so a
  // crowd of phones finalizing at once costs the hub almost nothing before their records.
  function hubReachable() {
    var timeout = new Promise(function (resolve) { setTimeout(function () { resolve(false); }, 4000); });
    var probe = fetch('/reach', { cache: 'no-store' }).then(function (r) { return r.ok; })
      .catch(function () { return false; });
    return Promise.race([probe, timeout]);
  }

  // One POST of a record as the outbox sends it: {stored, status, data} once answered.
  function post(item, token) {
    // With a photo or file the record goes as the page would post it (multipart).
    var body = item.fields.some(function (pair) { return isFile(pair[1]); }) ? new FormData() : new URLSearchParams();
    item.fields.forEach(function (pair) {
      body.append(pair[0], pair[0] === 'csrf_token' ? token : pair[1]);
    });
    return fetch(item.action, { method: 'POST', body: body, credentials: 'same-origin',
                                headers: OUTBOX, redirect: 'manual' })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          return { stored: response.ok && !!data && data.uuid === item.uuid,
                   status: response.status, data: data || {} };
        });
      });
  }

  function deliver(item, token) {
    return post(item, token).then(function (answer) {
      if (answer.stored) {
        delivered.push(answer.data.message);
        return withStore('readwrite', function (s) { return s['delete'](item.uuid); });
      }
      refused = answer.data.message || ''; // kept: signed out, or refused for now
      return null;
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

    function item(action) {
      return { uuid: uuidField.value, action: form.getAttribute('action'),
               fields: fields().concat([['_action', action]]), saved: new Date().toISOString() };
    }

    function keepInOutbox(message) {
      return withStore('readwrite', function (s) { return s.put(item('finalize')); }).then(function () {
        localStorage.removeItem(draftKey);
        form.reset();
        uuidField.value = newUuid();
        // The next record on this page did not start when the hub served it.
        var served = form.querySelector('input[name="_served"]');
        if (served) { served.value = ''; }
        form.dispatchEvent(new Event('change'));
        // The kiosk's sender learns now that no receipt code comes (see collector.feedback).
        refused = (kiosk && form.getAttribute('data-kept')) || message || '';
        banner.scrollIntoView();
        return refresh();
      });
    }

    function keptAsDraft() {
      refused = banner.getAttribute('data-draft-kept');
      banner.hidden = false;
      banner.querySelector('.outbox-refused').textContent = refused;
      banner.scrollIntoView();
    }

    // The hub is in reach: send as the outbox would, and keep the answers on the phone until
    // the hub says it has them (a lost answer, an expired session or a refusal loses nothing).
    // The page's own token first; one from an older session (signed out and in since) is
    // refused as such, and a current one is asked for then.
    function sendNow(action) {
      var now = item(action);
      now.fields.push(['_now', '1']);
      var mine = form.querySelector('input[name="csrf_token"]').value;
      return post(now, mine).then(function (answer) {
        if (answer.status !== 400 || answer.data.error !== 'csrf') { return answer; }
        return currentToken().then(function (token) { return post(now, token); });
      }).then(function (answer) {
        if (answer.stored) {
          localStorage.removeItem(draftKey);
          window.location.assign(answer.data.next || '/');
        } else if (answer.status === 422) {
          form.setAttribute('data-checked', 'yes'); // let the hub show what needs attention
          var field = document.createElement('input');
          field.type = 'hidden'; field.name = '_action'; field.value = action;
          form.appendChild(field);
          form.submit();
        } else if (action === 'draft') { keptAsDraft(); } else { keepInOutbox(answer.data.message); }
      }, function () { return action === 'draft' ? keptAsDraft() : keepInOutbox(); });
    }

    var lastButton = null; // event.submitter is missing on older phones
    form.addEventListener('click', function (event) {
      if (event.target.type === 'submit') { lastButton = event.target; }
    });
    form.addEventListener('submit', function (event) {
      if (event.defaultPrevented || form.getAttribute('data-checked') === 'yes') { return; }
      event.preventDefault();
      var button = event.submitter || lastButton;
      var action = button && button.value ? button.value : 'finalize';
      hubReachable().then(function (reachable) {
        if (reachable) { sendNow(action); } else if (action === 'draft') { keptAsDraft(); } else { keepInOutbox(); }
      });
    });

    // Drafts: what is typed survives a reload, a closed tab, or a page kept by the service worker.
    // (Files are not kept in a draft: localStorage holds text only.)
    function keepDraft() {
      localStorage.setItem(draftKey, JSON.stringify(fields().filter(function (pair) { return !isFile(pair[1]); })));
    }
    if (kiosk) {
      localStorage.removeItem(draftKey); // one an older version of this page kept
      uuidField.value = newUuid();
      return;
    }
    form.addEventListener('input', keepDraft);
    form.addEventListener('change', keepDraft);
    var saved = localStorage.getItem(draftKey);
    if (!saved) {
      uuidField.value = newUuid(); // never the UUID of a page kept in a cache
      return;
    }
    var pairs = JSON.parse(saved);
    pairs.forEach(function (pair) {  // the instances of each repeat first, then their answers
      var repeat = /^_repeat\.(.+)$/.exec(pair[0]);
      if (repeat && window.FormChecks) { window.FormChecks.setInstances(repeat[1], Number(pair[1])); }
    });
    pairs.forEach(function (pair) {
      var name = pair[0], value = pair[1];
      if (name === 'csrf_token' || name === '_shown' || name === '_enumerator' || name === '_locale' || name === '_served') { return; }
      Array.prototype.forEach.call(form.querySelectorAll('[name="' + name + '"]'), function (input) {
        if (input.type === 'file') { return; } // a file cannot be put back by script
        if (input.type === 'radio' || input.type === 'checkbox') {
          if (input.value === value) { input.checked = true; }
        } else { input.value = value; }
      });
    });
    form.dispatchEvent(new Event('change'));
  }
}());
