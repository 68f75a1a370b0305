// Collects the expression cases of Enketo's evaluator tests (the openrosa-xpath-evaluator npm
// package's test/integration/**/*.spec.js) without running Enketo: the specs run with stand-ins
// for their assert helpers that record (expression, expected result, kind of check) instead of
// checking. Cases that build an XML document get a stand-in document; they are recorded with
// `node: true` and left out later. Run once per zone (TZ=...), since some tests compute their
// expectation from the clock. Used by benchmarks/odk_gather.py:
//   TZ=America/Phoenix node benchmarks/odk_enketo_cases.js PACKAGE_DIR > cases.json
'use strict';

const Module = require('module');
const fs = require('fs');
const path = require('path');

const ROOT = process.argv[2];
const cases = [];
let file = '';
let budget = 0;  // a stand-in document walked in a loop stops the test, not the run

// Any property of a stand-in node is another stand-in; calling one gives one too.
function standIn() {
  if (++budget > 20000) throw new Error('this test needs a real document');
  return new Proxy(function () {}, {
    get: (target, key) => (key === Symbol.toPrimitive ? () => '[node]' : standIn()),
    apply: () => standIn(),
  });
}

function record(kind, node, expr, expected, extra) {
  if (typeof expr !== 'string') return;
  const withNode = node !== null && node !== undefined;
  cases.push(Object.assign({file, kind, expr, expected, node: withNode}, extra || {}));
}

// The helpers take (node?, value?, expr, expected): the last `n` arguments, and the node.
function split(args, n) {
  const head = args.slice(0, args.length - n), tail = args.slice(args.length - n);
  return {node: head.length > 1 ? head[head.length - 2] : null, tail};
}

const check = (kind) => (...args) => {
  const {node, tail} = split(args, 2);
  record(kind, node, tail[0], tail[1] instanceof RegExp ? {regex: tail[1].source} : tail[1]);
};
const truth = (expected) => (...args) => {
  const {node, tail} = split(args, 1);
  record('boolean', node, tail[0], expected);
};

const helpers = {
  initDoc: standIn, simpleValueIs: standIn, nsResolver: {}, filterAttributes: () => [],
  getNextChildElementNode: standIn, getAllNodes: () => [], snapshotToArray: () => [],
  setAttribute: () => {}, assert: standIn(),
  assertThrow: (expr) => record('error', null, expr, null),
  assertNumberValue: check('number'), assertNumber: check('number'),
  assertString: check('string'), assertStringValue: check('string'),
  assertStringLength: check('string_length'), assertMatch: check('match'),
  assertNumberRounded: (expr, expected, factor, node) => record('number_rounded', node, expr, expected, {factor}),
  assertTrue: truth(true), assertFalse: truth(false),
  assertBoolean: (...args) => { const expected = args.pop(); truth(expected)(...args); },
  assertNodes: () => {}, assertUnorderedNodes: () => {},
};
const lodash = {
  forEach: (c, f) => (Array.isArray(c) ? c.forEach(f) : Object.entries(c).forEach(([k, v]) => f(v, k))),
  times: (n, f) => Array.from({length: n}, (_, i) => f(i)),
  uniq: (a) => [...new Set(a)],
};

const load = Module._load;
Module._load = function (request) {
  if (/(^|\/)helpers$/.test(request)) return helpers;
  if (request === 'chai') return {assert: standIn()};
  if (request === 'lodash') return lodash;
  if (request.includes('/src/')) return standIn();
  return load.apply(this, arguments);
};

let beforeEachs = [];
global.describe = (name, fn) => {
  const saved = beforeEachs.slice();
  budget = 0;
  try { fn(); } catch (error) { /* a suite that needs a document: its cases so far are kept */ }
  beforeEachs = saved;
};
global.it = (name, fn) => {
  budget = 0;
  try { beforeEachs.forEach((b) => b()); if (fn) fn(() => {}); } catch (error) { /* idem */ }
};
global.describe.skip = global.xdescribe = global.it.skip = global.xit = () => {};
global.describe.only = global.describe;
global.it.only = global.it;
global.beforeEach = (fn) => beforeEachs.push(fn);
global.before = (fn) => { try { fn(); } catch (error) { /* idem */ } };
global.after = global.afterEach = () => {};
global.XPathResult = {ANY_TYPE: 0, NUMBER_TYPE: 1, STRING_TYPE: 2, BOOLEAN_TYPE: 3,
  UNORDERED_NODE_ITERATOR_TYPE: 4, ORDERED_NODE_ITERATOR_TYPE: 5, UNORDERED_NODE_SNAPSHOT_TYPE: 6,
  ORDERED_NODE_SNAPSHOT_TYPE: 7, ANY_UNORDERED_NODE_TYPE: 8, FIRST_ORDERED_NODE_TYPE: 9};
global.DOMParser = function () { this.parseFromString = standIn; };
global.document = standIn();
global.window = standIn();
global.Node = standIn();

const specs = (dir) => fs.readdirSync(dir).sort().flatMap((name) => {
  const full = path.join(dir, name);
  if (fs.statSync(full).isDirectory()) return specs(full);
  return name.endsWith('.spec.js') ? [full] : [];
});
for (const spec of specs(path.join(ROOT, 'test', 'integration'))) {
  file = path.relative(ROOT, spec);
  try { require(spec); } catch (error) { process.stderr.write(`${file}: ${error.message}\n`); }
}
// JSON has no NaN or Infinity: they are written as {"number": "NaN"}.
const special = (key, value) => (typeof value === 'number' && !Number.isFinite(value) ? {number: String(value)} : value);
process.stdout.write(JSON.stringify(cases, special));
