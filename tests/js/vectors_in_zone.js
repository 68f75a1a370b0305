// Runs every shared expression vector once, outside node:test, so the suite can run them under
// other time zones quickly (tests/test_expressions_zones.py sets TZ). Prints one JSON line:
// {"zone": minutes east of UTC, "now": string(now()) with the default clock, "passed": n, "failures": [...]}.
'use strict';

const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const E = require(path.join(__dirname, '..', '..', 'collector', 'static', 'js', 'expressions.js'));
const VECTORS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'expression_vectors.json'), 'utf8'));
const SPECIAL = {NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity};

const answer = (v) => (v !== null && typeof v === 'object' && Object.keys(v).join() === 'nodeset' ? new E.Nodeset(v.nodeset) : v);
const answers = (map) => Object.fromEntries(Object.entries(map || {}).map(([k, v]) => [k, answer(v)]));

function check(c) {
  const labels = c.choice_labels || {};
  const ctx = {values: answers(c.values), current: answer(c.current), now: c.now || VECTORS.now, position: c.position,
    choice: c.choice, nodesets: c.nodesets ? answers(c.nodesets) : undefined, data: c.data,
    instances: c.instances,
    lastSaved: c.last_saved,
    choiceLabel: (field, choice) => (labels[field] && choice in labels[field] ? labels[field][choice] : null)};
  if (c.record) {  // standing in a record with repeats, as expressions.test.js reads it
    const r = c.record, at = r.at || [];
    Object.assign(ctx, {values: E.repeatScope(r.answers, r.lineages, at), position: at.length ? at[at.length - 1][1] : null,
      nodesets: E.repeatScope(r.answers, r.lineages, []), indexed: (name, picks) => E.indexedNodes(r.answers, r.lineages, name, picks)});
  }
  const run = () => ('choice' in c ? E.parseChoiceFilter : E.parse)(c.expr).evaluate(ctx);
  if (c.error) {  // a syntax error when parsed; a call import refuses, when computed
    assert.throws(run, (error) => error instanceof E.ExpressionError && error.position === c.error_position && error.message === c.error_message);
    return;
  }
  if (c.hub_only) { assert.throws(run, E.HubOnlyError); return; }
  const result = run(), expected = c.expected;
  if (typeof expected !== 'object') {
    if (typeof expected === 'number') assert.ok(Math.abs(result - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), String(result));
    else assert.strictEqual(result, expected);
  } else if ('number' in expected) {
    assert.ok(Object.is(result, SPECIAL[expected.number]) || (Number.isNaN(result) && expected.number === 'NaN'), String(result));
  } else {
    assert.ok(result instanceof E.DateValue, JSON.stringify(result));
    assert.strictEqual(String(result), expected.date || expected.datetime);
  }
}

const failures = [];
VECTORS.cases.forEach((c, i) => {
  try { check(c); } catch (error) { failures.push(i + ': ' + c.expr + ': ' + error.message); }
});
console.log(JSON.stringify({zone: -new Date().getTimezoneOffset(), now: String(E.evaluate('now()')),
  passed: VECTORS.cases.length - failures.length, failures: failures}));
