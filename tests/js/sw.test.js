// The service worker's prompts: kept once played, played again without the hub, a part of
// the file for a player's Range request, and the oldest dropped beyond the size cap.
// Run with: node --test tests/js/
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SCRIPT = fs.readFileSync(
  path.join(__dirname, '..', '..', 'collector', 'static', 'js', 'sw.js'), 'utf8');
const ORIGIN = 'https://hub.local:5443';

// The browser's Cache Storage, in memory: what a phone's browser keeps.
class MemoryCache {
  constructor() { this.entries = new Map(); }
  key(request) { return new URL(typeof request === 'string' ? request : request.url, ORIGIN).href; }
  match(request) {
    const hit = this.entries.get(this.key(request));
    return Promise.resolve(hit ? hit.clone() : undefined);
  }
  put(request, response) { this.entries.set(this.key(request), response.clone()); return Promise.resolve(); }
  keys() { return Promise.resolve([...this.entries.keys()].map((url) => new Request(url))); }
  delete(request) { return Promise.resolve(this.entries.delete(this.key(request))); }
}

function worker(files) {
  const listeners = {};
  const stores = new Map();
  const hub = { online: true, asked: [] };
  const sandbox = {
    self: {
      location: { origin: ORIGIN },
      addEventListener: (name, fn) => { listeners[name] = fn; },
      skipWaiting() {},
      clients: { claim: () => Promise.resolve() },
    },
    caches: {
      open: (name) => {
        if (!stores.has(name)) { stores.set(name, new MemoryCache()); }
        return Promise.resolve(stores.get(name));
      },
      keys: () => Promise.resolve([...stores.keys()]),
      delete: (name) => Promise.resolve(stores.delete(name)),
      match: () => Promise.resolve(undefined),
    },
    fetch: (address) => {
      const url = new URL(address, ORIGIN);
      hub.asked.push(url.pathname);
      if (!hub.online) { return Promise.reject(new TypeError('Failed to fetch')); }
      const body = files[url.pathname];
      if (!body) { return Promise.resolve(new Response('not found', { status: 404 })); }
      return Promise.resolve(new Response(body, { status: 200, headers: {
        'Content-Type': 'audio/ogg', 'Content-Length': String(body.length) } }));
    },
    Request, Response, Headers, URL, Promise, Number, Math, String,
  };
  vm.runInNewContext(SCRIPT, sandbox);
  function get(pathname, headers) {
    let answer;
    listeners.fetch({
      request: new Request(ORIGIN + pathname, { headers: headers || {} }),
      respondWith: (promise) => { answer = promise; },
    });
    return answer;
  }
  return { get, hub, stores };
}

const A = '/prompts/community_survey/' + 'a'.repeat(24) + '.ogg';
const B = '/prompts/community_survey/' + 'b'.repeat(24) + '.ogg';

test('a prompt played once plays again with the hub out of reach', async () => {
  const sw = worker({ [A]: 'OggS one recording' });
  const first = await sw.get(A);
  assert.strictEqual(await first.text(), 'OggS one recording');
  sw.hub.online = false;
  const again = await sw.get(A);
  assert.strictEqual(again.status, 200);
  assert.strictEqual(await again.text(), 'OggS one recording');
  assert.deepStrictEqual(sw.hub.asked, [A]);
});

test('a player asking for a part gets that part, from the kept copy too', async () => {
  const sw = worker({ [A]: 'OggS0123456789' });
  const part = await sw.get(A, { Range: 'bytes=4-7' });
  assert.strictEqual(part.status, 206);
  assert.strictEqual(part.headers.get('Content-Range'), 'bytes 4-7/14');
  assert.strictEqual(await part.text(), '0123');
  sw.hub.online = false;
  const rest = await sw.get(A, { Range: 'bytes=10-' });
  assert.strictEqual(await rest.text(), '6789');
});

test('a refused prompt is not kept, and the oldest go beyond the cap', async () => {
  const big = 'x'.repeat(15 * 1024 * 1024);
  const sw = worker({ [A]: big, [B]: big });
  assert.strictEqual((await sw.get('/prompts/community_survey/' + 'c'.repeat(24) + '.ogg')).status, 404);
  await (await sw.get(A)).arrayBuffer();
  await (await sw.get(B)).arrayBuffer();
  const kept = [...sw.stores.get('hub-prompts').entries.keys()].map((url) => new URL(url).pathname);
  assert.deepStrictEqual(kept, [B]);
});

test('other pages are not taken for prompts', async () => {
  const sw = worker({});
  assert.strictEqual(sw.get('/prompts/community_survey/../hub.db'), undefined);
  assert.strictEqual(sw.get('/records/abc/files/' + 'a'.repeat(64) + '.jpg'), undefined);
});
