/* Service worker: keeps the app shell and the forms opened on this phone, so a reload
   while the hub is out of reach still opens them. Only secure contexts run it. */
'use strict';
var VERSION = 'unversioned'; // the hub puts a digest of the shell files here
var SHELL = 'hub-shell-' + VERSION;
var PAGES = 'hub-pages-' + VERSION;
var SHELL_FILES = ['/static/css/hub.css', '/static/js/expressions.js', '/static/js/form.js',
                   '/static/js/offline.js', '/static/js/media.js', '/static/favicon.svg'];
// Pages kept for offline use: form pages and the kiosk, never pages with saved answers.
var KEEP = /^\/(|feedback|forms\/[A-Za-z0-9_]+(\/phone)?)$/;
// Prompts in sound and picture, kept once played or shown so they play again without the
// hub. Their address carries their content's hash, so the copies outlive a hub version.
var PROMPTS = 'hub-prompts';
var PROMPT = /^\/prompts\/[A-Za-z0-9_.\-]+\/[0-9a-f]{24}\.[a-z0-9]{2,5}$/;
var PROMPTS_MAX_BYTES = 25 * 1024 * 1024;  // the oldest go first beyond this

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); }));
  self.skipWaiting();
});

self.addEventListener('activate', function (event) {
  // A new version of the hub's files: drop the copies of the old one.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name !== SHELL && name !== PAGES && name !== PROMPTS;
    })
      .map(function (name) { return caches['delete'](name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        var copy = response.clone();
        caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
        return response;
      });
    }));
    return;
  }
  if (PROMPT.test(url.pathname)) {
    event.respondWith(prompt(request, url));
    return;
  }
  if (request.mode === 'navigate' && KEEP.test(url.pathname)) {
    // Network first: the hub's page when it answers, the kept copy when it does not. The
    // page is also kept under its path alone: the language last used, for a language that
    // was never kept.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone(), latest = response.clone();
        caches.open(PAGES).then(function (cache) {
          cache.put(request, copy);
          if (url.search) { cache.put(url.pathname, latest); }
        });
      }
      return response;
    }).catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(request).then(function (hit) { return hit || cache.match(url.pathname); });
      }).then(function (hit) { return hit || Response.error(); });
    }));
  }
});

// A kept page asks for its copies in the other languages of its language bar, so that a
// person can change language with the hub away. The hub does not take such a fetch as a
// change of language (X-Hub-Prefetch).
self.addEventListener('message', function (event) {
  var urls = (event.data && event.data.keepLanguages) || [];
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return Promise.all(urls.filter(function (address) {
      var url = new URL(address);
      return url.origin === self.location.origin && KEEP.test(url.pathname);
    }).map(function (address) {
      return fetch(address, { credentials: 'same-origin', headers: { 'X-Hub-Prefetch': '1' } })
        .then(function (response) { return response.ok ? cache.put(address, response) : null; })
        .catch(function () { return null; });  // out of reach: the next visit asks again
    }));
  }));
});

// A prompt from the phone's copy, else from the hub (the whole file, kept). A player asks
// for a part (Range): it gets that part of the file.
function prompt(request, url) {
  return caches.open(PROMPTS).then(function (cache) {
    return cache.match(url.pathname).then(function (hit) {
      if (hit) { return hit; }
      return fetch(url.pathname, { credentials: 'same-origin' }).then(function (response) {
        if (response.status !== 200) { return response; }
        return cache.put(url.pathname, response.clone()).then(function () {
          return trimPrompts(cache);
        }).then(function () { return response; }, function () { return response; });
      });
    });
  }).then(function (response) { return part(request, response); });
}

// The part of a whole response a Range request asks for (bytes=START-[END]).
function part(request, response) {
  var range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.get('Range') || '');
  if (!range || response.status !== 200) { return response; }
  return response.arrayBuffer().then(function (body) {
    var start = Number(range[1]);
    var end = range[2] ? Math.min(Number(range[2]), body.byteLength - 1) : body.byteLength - 1;
    if (start > end) {
      return new Response(null, { status: 416, headers: { 'Content-Range': 'bytes */' + body.byteLength } });
    }
    return new Response(body.slice(start, end + 1), { status: 206, headers: {
      'Content-Type': response.headers.get('Content-Type') || 'application/octet-stream',
      'Content-Range': 'bytes ' + start + '-' + end + '/' + body.byteLength,
      'Content-Length': String(end - start + 1)
    } });
  });
}

// Keep the prompts under PROMPTS_MAX_BYTES: the first kept are the first dropped.
function trimPrompts(cache) {
  return cache.keys().then(function (keys) {
    return Promise.all(keys.map(function (key) { return cache.match(key); })).then(function (hits) {
      var sizes = hits.map(function (hit) { return Number(hit.headers.get('Content-Length')) || 0; });
      var total = sizes.reduce(function (sum, size) { return sum + size; }, 0);
      var drop = [];
      for (var i = 0; i < keys.length - 1 && total > PROMPTS_MAX_BYTES; i++) {
        total -= sizes[i];
        drop.push(cache['delete'](keys[i]));
      }
      return Promise.all(drop);
    });
  });
}
