// The browser's expression evaluator against the vectors it shares with collector/expressions.py.
// Run with: node --test tests/js/
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SCRIPT = path.join(__dirname, '..', '..', 'collector', 'static', 'js', 'expressions.js');
const FormExpressions = require(SCRIPT);
const VECTORS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'expression_vectors.json'), 'utf8'));
const SPECIAL_NUMBERS = {NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity};

// A vector's value; {"nodeset": [...]} is a repeat's answers seen from outside it.
function answer(value) {
  const isNodeset = value !== null && typeof value === 'object' && Object.keys(value).join() === 'nodeset';
  return isNodeset ? new FormExpressions.Nodeset(value.nodeset) : value;
}

// A case standing in a record with repeats: {answers, lineages, at}, names resolved as the
// hub resolves them (collector/repeats.py Scope; FormExpressions.repeatScope here).
function recordContext(c) {
  const r = c.record, at = r.at || [];
  return {
    values: FormExpressions.repeatScope(r.answers, r.lineages, at),
    current: answer(c.current),
    now: c.now || VECTORS.now,
    position: at.length ? at[at.length - 1][1] : null,
    nodesets: FormExpressions.repeatScope(r.answers, r.lineages, []),
    indexed: (name, picks) => FormExpressions.indexedNodes(r.answers, r.lineages, name, picks),
  };
}

function contextFor(c) {
  if (c.record) return recordContext(c);
  const labels = c.choice_labels || {};
  const values = {};
  Object.keys(c.values || {}).forEach((name) => { values[name] = answer(c.values[name]); });
  return {
    values: values,
    current: answer(c.current),
    now: c.now || VECTORS.now,
    position: c.position,
    choiceLabel: (field, choice) => (labels[field] && choice in labels[field] ? labels[field][choice] : null),
    choice: c.choice,
    data: c.data,  // pulldata()'s CSV files
    instances: c.instances,  // instance('list')'s choice lists
    lastSaved: c.last_saved,  // ${last-saved#name}'s record
    nodesets: c.nodesets ? Object.fromEntries(Object.entries(c.nodesets).map(([k, v]) => [k, answer(v)])) : undefined,
  };
}

function assertNumber(result, expected) {
  assert.strictEqual(typeof result, 'number', `expected a number, got ${JSON.stringify(result)}`);
  if (Number.isNaN(expected)) assert.ok(Number.isNaN(result), `expected NaN, got ${result}`);
  else if (!Number.isFinite(expected)) assert.strictEqual(result, expected);
  else assert.ok(Math.abs(result - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${result} != ${expected}`);
}

function assertMatches(result, expected) {
  if (typeof expected === 'boolean' || typeof expected === 'string') {
    assert.strictEqual(result, expected);
  } else if (typeof expected === 'number') {
    assertNumber(result, expected);
  } else if ('number' in expected) {
    assertNumber(result, SPECIAL_NUMBERS[expected.number]);
  } else {
    const withTime = 'datetime' in expected;
    assert.ok(result instanceof FormExpressions.DateValue, `expected a date, got ${JSON.stringify(result)}`);
    assert.strictEqual(result.withTime, withTime);
    assert.strictEqual(String(result), withTime ? expected.datetime : expected.date);
  }
}

test('there are enough vectors', () => {
  assert.ok(VECTORS.cases.length >= 1500);
  assert.ok(VECTORS.cases.filter((c) => c.error).length >= 100);
});

VECTORS.cases.forEach((c, i) => {
  test(`vector ${i}: ${c.expr}`, () => {
    if (c.hub_only) {  // computed by the hub: the phone defers, leaving the value to the hub
      assert.throws(() => FormExpressions.parse(c.expr).evaluate(contextFor(c)), FormExpressions.HubOnlyError);
    } else if (c.error) {  // a syntax error when parsed; a call import refuses, when computed
      const parser = 'choice' in c ? FormExpressions.parseChoiceFilter : FormExpressions.parse;
      assert.throws(() => parser(c.expr).evaluate(contextFor(c)), (error) => {
        assert.ok(error instanceof FormExpressions.ExpressionError, String(error));
        assert.deepStrictEqual([error.message, error.position], [c.error_message, c.error_position]);
        return true;
      });
    } else {
      const parser = 'choice' in c ? FormExpressions.parseChoiceFilter : FormExpressions.parse;
      assertMatches(parser(c.expr).evaluate(contextFor(c)), c.expected);
    }
  });
});

test('references() lists field names once, sorted', () => {
  const expression = FormExpressions.parse("${b} >= 18 and selected(${a}, 'x') or ${b} = jr:choice-name(., '${c}')");
  assert.deepStrictEqual(expression.references(), ['a', 'b', 'c']);
  assert.deepStrictEqual(FormExpressions.parse('1 + 2').references(), []);
});

test('in a choice filter current()/.. reads `here`, a bare ${name} the values', () => {
  const filter = FormExpressions.parseChoiceFilter('position() != current()/../pos and ${pos} = 2 and name != \'\'');
  const ctx = {values: {pos: 2}, here: {pos: 1}, choice: {name: 'Musa'}, position: 2};
  assert.strictEqual(filter.evaluate(ctx), true);
  assert.strictEqual(filter.evaluate(Object.assign({}, ctx, {here: {pos: 2}})), false);
  assert.strictEqual(filter.evaluate(Object.assign({}, ctx, {here: undefined})), false);  // no here: values
  assert.deepStrictEqual(filter.references(), ['pos']);
});

test('evaluate() shortcut, toBoolean and Date objects for now', () => {
  const ctx = {values: {age: '20', grounds: ['religion']}, now: new Date(2024, 2, 15, 10, 30)};
  assert.strictEqual(FormExpressions.evaluate("${age} >= 18 and selected(${grounds}, 'religion')", ctx), true);
  assert.ok(String(FormExpressions.evaluate('now()', ctx)).startsWith('2024-03-15T10:30:00.000'));
  assert.strictEqual(FormExpressions.toBoolean(FormExpressions.evaluate('${missing}', ctx)), false);
  assert.strictEqual(FormExpressions.evaluate('today() - ${d}', {values: {d: new Date(2024, 1, 29)}, now: ctx.now}), 15);
  assert.ok(FormExpressions.evaluate('today()') instanceof FormExpressions.DateValue);
});

test('a Nodeset built by form.js stays one and is counted, summed and joined', () => {
  const ages = new FormExpressions.Nodeset([34, null, 8]);
  assert.deepStrictEqual(ages.items, [34, null, 8]);
  assert.strictEqual(FormExpressions.evaluate('${member_age}', {values: {member_age: ages}}), ages);
  assert.strictEqual(FormExpressions.evaluate('count(${member_age})', {values: {member_age: ages}}), 3);
  assert.strictEqual(FormExpressions.evaluate('join(\'/\', ${member_age})', {values: {member_age: ages}}), '34//8');
  assert.strictEqual(FormExpressions.evaluate('count(${grounds})', {values: {grounds: ['a', 'b']}}), 1);
  assert.strictEqual(FormExpressions.toText({name: 'Ana', age: 34, skills: ['a', 'b']}), 'Ana34a b');
  assert.strictEqual(FormExpressions.evaluate('sum(${a})', {values: {a: new FormExpressions.Nodeset([1e16, 1, -1e16])}}), 0);
  assert.ok(FormExpressions.FUNCTIONS.indexOf('indexed-repeat') >= 0);
});

test('works as a classic browser script defining window.FormExpressions', () => {
  const sandbox = {window: {}};
  vm.runInNewContext(fs.readFileSync(SCRIPT, 'utf8'), sandbox);
  assert.strictEqual(sandbox.window.FormExpressions.evaluate('1 + 2'), 3);
});

test('the script stays small and free of eval, Function and post-ES2015 syntax', () => {
  const source = fs.readFileSync(SCRIPT, 'utf8');
  // Phones on slow links load it: about 8 KB gzipped. This guard stops it growing unnoticed
  // (raised from 20 to 22 KB for choice filters, to 24 KB for repeats and typed numbers, to
  // 36 KB for ODK's whole function library with dates and zones, to 40 KB for its location
  // functions, to 42 KB for randomize() and instance() lookups, to 45 KB for repeats inside
  // repeats, to 46 KB for evaluating lazily what import refuses, to 48 KB for ${last-saved#x}
  // (the last record's answers): about 15 KB gzipped).
  assert.ok(Buffer.byteLength(source) < 48 * 1024, `${Buffer.byteLength(source)} bytes`);
  assert.doesNotMatch(source, /\beval\s*\(|\bFunction\s*\(|\?\.|\?\?/);
});

// Typed numbers: read as the hub reads them (collector/validation.py), by the shared cases.
const TYPED = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'typed_numbers.json'), 'utf8'));

test('typed numbers are read as the hub reads them', () => {
  assert.ok(TYPED.cases.length >= 60);
  for (const c of TYPED.cases) {
    const [decimal, group] = TYPED.symbols[c.locale];
    const result = c.kind === 'integer' ? FormExpressions.readInteger(c.text)
      : FormExpressions.readDecimal(c.text, decimal, group);
    assert.strictEqual(result, c.expected, `${c.kind} ${c.locale} ${JSON.stringify(c.text)}`);
  }
});
