/* FormExpressions: the XLSForm/ODK XPath subset of relevant, constraint and calculation
 * columns, for live skip logic. A port of collector/expressions.py (the server's authority);
 * tests/expression_vectors.json runs against both, so change them together.
 * Tokenizer -> recursive-descent parser -> tree walk; no eval. ES2015 for old Android. */
(function (root) {
'use strict';

const SPACE_RUN = /[ \t\r\n]+/;  // XPath whitespace; other Unicode spaces are ordinary characters
const NUMERIC = /^[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*$/;
const ISO_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$/;
const NUMBER_TOKEN = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)/;
const NAME_TOKEN = /^[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?/;
const FIELD_NAME = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*$/;
const FIELD_LITERAL = /^[ \t\r\n]*\$\{([^}]*)\}[ \t\r\n]*$/;
const SYMBOLS = ['..', '!=', '<=', '>=', '(', ')', ',', '+', '-', '*', '=', '<', '>', '.'];
const PRECEDENCE = [['or'], ['and'], ['=', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*', 'div', 'mod']];

const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
const pad = (n, width) => ('000' + n).slice(-width);
const chars = (text) => Array.from(text);  // code points, as Python's str counts them

/** A syntax error, unknown function or wrong argument count, at a 0-based offset. */
function ExpressionError(message, position) {
  this.name = 'ExpressionError';
  this.message = message;
  this.position = position;
  this.stack = new Error(message).stack;
}
ExpressionError.prototype = Object.create(Error.prototype);
ExpressionError.prototype.constructor = ExpressionError;
const fail = (message, position) => { throw new ExpressionError(message, position); };

/** A date (withTime false) or a wall-clock date-time, as days since 1970-01-01. */
function DateValue(days, withTime) { this.days = days; this.withTime = withTime; }
DateValue.prototype.toString = function () {
  return formatDays(this.days, this.withTime ? '%Y-%m-%dT%H:%M:%S' : '%Y-%m-%d');
};

/** XPath's node-set: a repeat's instances (objects) or one field's answers in them, as seen from
 * outside the repeat. form.js: new FormExpressions.Nodeset([...]). */
function Nodeset(items) { this.items = Array.from(items); }
const spread = (values) => values.reduce((all, v) => all.concat(v instanceof Nodeset ? v.items : [v]), []);

// --- calendar: day numbers since 1970-01-01, in years 1-9999 (Python's date range) ---

/** NaN unless y-m-d is a real date. */
function civilToDays(y, m, d) {
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);  // unlike Date.UTC, keeps years 0-99 as written
  const valid = y > 0 && y < 10000 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1;
  return valid ? date.getTime() / 864e5 : NaN;
}

/** [y, m, d], or null. */
function daysToCivil(days) {
  const date = new Date(days * 864e5), y = date.getUTCFullYear();
  return y > 0 && y < 10000 ? [y, date.getUTCMonth() + 1, date.getUTCDate()] : null;
}

/** Days of an ISO date or date-time string (offset ignored); NaN for anything else. */
function isoDays(text) {
  const match = ISO_DATE.exec(text);
  if (!match) return NaN;
  const days = civilToDays(+match[1], +match[2], +match[3]);
  if (!match[4] || Number.isNaN(days)) return days;
  const hour = +match[4], minute = +match[5], second = match[6] ? parseFloat(match[6]) : 0;
  if (hour > 23 || minute > 59 || second >= 60) return NaN;
  return days + (hour * 3600 + minute * 60 + second) / 86400;
}

/** A JavaScript Date as days on the phone's local wall clock. */
function localDays(date) {
  const seconds = date.getHours() * 3600 + date.getMinutes() * 60 + (date.getSeconds() + date.getMilliseconds() / 1000);
  return civilToDays(date.getFullYear(), date.getMonth() + 1, date.getDate()) + seconds / 86400;
}

/** format-date() with %Y %y %m %n %d %e %H %h %M %S, to the nearest millisecond. */
function formatDays(days, pattern) {
  if (!Number.isFinite(days)) return '';
  let whole = Math.floor(days), millis = Math.floor((days - whole) * 86400000 + 0.5);
  if (millis === 86400000) { whole += 1; millis = 0; }
  const ymd = daysToCivil(whole), s = Math.floor(millis / 1000), hour = Math.floor(s / 3600);
  if (!ymd) return '';
  const fields = {Y: pad(ymd[0], 4), y: pad(ymd[0] % 100, 2), m: pad(ymd[1], 2), n: ymd[1], d: pad(ymd[2], 2),
    e: ymd[2], H: pad(hour, 2), h: hour, M: pad(Math.floor(s / 60) % 60, 2), S: pad(s % 60, 2)};
  return pattern.replace(/%([YymndeHhMS])/g, (all, letter) => String(fields[letter]));
}

// --- conversions: XPath number(), string(), boolean() ---

/** Dates and ISO date strings count days since 1970-01-01, as in ODK. */
function toNumber(value) {
  if (typeof value === 'number') return value;
  if (value instanceof Nodeset) return toNumber(value.items[0]);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof DateValue) return value.days;
  const text = toText(value);
  return NUMERIC.test(text) ? parseFloat(text) : isoDays(text);
}

/** An instance's text is its answers' text run together (XPath's string-value of an element). */
function toText(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return numberText(value);
  if (value instanceof Nodeset) return toText(value.items[0]);
  if (Array.isArray(value)) return value.map(toText).join(' ');
  return value.constructor === Object ? Object.keys(value).map((k) => toText(value[k])).join('') : String(value);
}

function toBoolean(value) {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (value instanceof Nodeset) return value.items.length > 0;  // even if every item is empty
  return value instanceof DateValue || toText(value) !== '';
}

/** Shortest round-trip digits, exponents spelled out: 3 not 3.0, 0.0000001 not 1e-7. */
function numberText(n) {
  if (n === 0) return '0';
  const text = String(n), m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const digits = m[2] + (m[3] || ''), exponent = +m[4];
  if (exponent < 0) return m[1] + '0.' + '0'.repeat(-exponent - 1) + digits;
  return m[1] + digits + '0'.repeat(exponent + 1 - digits.length);
}

/** An answer in the evaluator's types: missing -> '', select_multiple array -> 'a b'. */
function fieldValue(value) {
  if (value instanceof Date) return new DateValue(localDays(value), true);
  const type = typeof value;
  return type === 'number' || type === 'boolean' || value instanceof DateValue || value instanceof Nodeset ? value : toText(value);
}

// --- operators ---

const isNumeric = (v) => typeof v === 'number' || v instanceof DateValue;

/** XPath '=': booleans win, then numbers (dates count as numbers), else text. */
function equals(a, b) {
  if (typeof a === 'boolean' || typeof b === 'boolean') return toBoolean(a) === toBoolean(b);
  if (isNumeric(a) || isNumeric(b)) return toNumber(a) === toNumber(b);
  return toText(a) === toText(b);
}

/** XPath: a nodeset compares true if any of its items does; against a boolean, its boolean(). */
function compare(op, a, b) {
  const set = a instanceof Nodeset || b instanceof Nodeset;
  if (set && (typeof a === 'boolean' || typeof b === 'boolean')) return compare(op, toBoolean(a), toBoolean(b));
  if (a instanceof Nodeset) return a.items.some((x) => compare(op, x, b));
  if (b instanceof Nodeset) return b.items.some((x) => compare(op, a, x));
  return op === '=' || op === '!=' ? equals(a, b) === (op === '=') : NUMERIC_OPERATORS[op](toNumber(a), toNumber(b));
}

const NUMERIC_OPERATORS = {
  '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b,
  '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, 'div': (a, b) => a / b, 'mod': (a, b) => a % b
};

// --- functions: [min arguments, max arguments (null: any), (env, ...values) => value] ---

const numeric = (fn) => (env, ...values) => fn.apply(null, values.map(toNumber));
const textual = (fn) => (env, ...values) => fn.apply(null, values.map(toText));

/** ODK round(): half away from zero at `digits` decimals (negative: tens, hundreds...). */
function round(n, places) {
  places = places === undefined ? 0 : places;
  if (Number.isNaN(places)) return NaN;
  if (!Number.isFinite(n)) return n;
  places = Math.trunc(Math.max(-308, Math.min(308, places)));
  let scale = 1;
  for (let i = 0; i < Math.abs(places); i++) scale *= 10;
  const scaled = places >= 0 ? Math.abs(n) * scale : Math.abs(n) / scale;
  if (!Number.isFinite(scaled)) return n;
  let rounded = Math.floor(scaled);
  if (scaled - rounded >= 0.5) rounded += 1;
  rounded = places >= 0 ? rounded / scale : rounded * scale;
  return n < 0 ? -rounded : rounded;
}

/** min()/max() of values and nodesets' items: NaN (never bettered) if one is (an empty answer, say) or none. */
const extreme = (better) => (env, ...values) => spread(values).map(toNumber).reduce(
  (best, n, i) => (i === 0 || Number.isNaN(n) || better(n, best) ? n : best), NaN);

/** The answer in the n-th instance (from 1; none: ''): XPath's [n], so a fraction selects none. */
function indexedRepeat(env, value, repeat, n) {
  n = toNumber(n);
  return value instanceof Nodeset ? (Number.isInteger(n) ? fieldValue(value.items[n - 1]) : '') : value;
}

/** A string offset: NaN counts as 0, negatives count from the end, no overflow. */
const offset = (n, length) => (Number.isNaN(n) ? 0 : Math.trunc(Math.max(-length - 1, Math.min(length + 1, n))));

/** ODK substr(): 0-based start, exclusive end, in code points. */
function substr(env, text, start, end) {
  const list = chars(toText(text)), length = list.length;
  return list.slice(offset(toNumber(start), length), end === undefined ? length : offset(toNumber(end), length)).join('');
}

/** XPath translate(): the first occurrence in `from` wins; no partner in `to` deletes. */
function translate(text, from, to) {
  from = chars(from); to = chars(to);
  return chars(text).map((c) => (from.indexOf(c) < 0 ? c : to[from.indexOf(c)] || '')).join('');
}

/** Search (not full match) like ODK; an invalid pattern matches nothing. */
function regex(text, pattern) {
  try { return new RegExp(pattern).test(text); } catch (error) { return false; }
}

/** The choice names of a select_multiple answer ('a b c'). */
const choices = (value) => toText(value).split(SPACE_RUN).filter((token) => token !== '');

function selectedAt(env, value, n) {
  const tokens = choices(value), i = Math.trunc(toNumber(n));
  return i >= 0 && i < tokens.length ? tokens[i] : '';
}

/** jr:choice-name(choice, '${field}'); also accepts '/data/field'. */
function choiceName(env, choice, path) {
  const match = FIELD_LITERAL.exec(toText(path)), field = match ? match[1] : toText(path).replace(/\/+$/, '').split('/').pop();
  const label = env.choiceLabel ? env.choiceLabel(field, toText(choice)) : null;
  return label === null || label === undefined ? '' : toText(label);
}

/** date(): an ISO string, date-time or day count as a date; '' when it is none of those. */
function toDate(env, value) {
  const days = Math.floor(toNumber(value));
  return Number.isFinite(days) && daysToCivil(days) ? new DateValue(days, false) : '';
}

const FUNCTIONS = {
  'not': [1, 1, (env, v) => !toBoolean(v)],
  'true': [0, 0, () => true],
  'false': [0, 0, () => false],
  'boolean': [1, 1, (env, v) => toBoolean(v)],
  'number': [1, 1, numeric((n) => n)],
  'string': [1, 1, textual((s) => s)],
  'int': [1, 1, numeric(Math.trunc)],
  'round': [1, 2, numeric(round)],
  'floor': [1, 1, numeric(Math.floor)],
  'ceiling': [1, 1, numeric(Math.ceil)],
  'abs': [1, 1, numeric(Math.abs)],
  'pow': [2, 2, numeric(Math.pow)],
  'min': [1, null, extreme((a, b) => a < b)],
  'max': [1, null, extreme((a, b) => a > b)],
  'count': [1, 1, (env, v) => (v instanceof Nodeset ? v.items.length : +(toText(v) !== ''))],
  'sum': [1, 1, (env, v) => spread([v]).reduce((total, item) => total + toNumber(item), 0)],
  'indexed-repeat': [3, 3, indexedRepeat],
  'join': [2, null, (env, sep, ...values) => spread(values).map(toText).join(toText(sep))],
  'if': [3, 3, (env, test, yes, no) => (toBoolean(test) ? yes : no)],
  'coalesce': [2, 2, (env, first, second) => (toText(first) !== '' ? first : second)],
  'concat': [1, null, textual((...parts) => parts.join(''))],
  'contains': [2, 2, textual((s, t) => s.indexOf(t) >= 0)],
  'starts-with': [2, 2, textual((s, t) => s.slice(0, t.length) === t)],
  'ends-with': [2, 2, textual((s, t) => s.length >= t.length && s.slice(s.length - t.length) === t)],
  'substr': [2, 3, substr],
  'substring-before': [2, 2, textual((s, t) => (s.indexOf(t) >= 0 ? s.slice(0, s.indexOf(t)) : ''))],
  'substring-after': [2, 2, textual((s, t) => (s.indexOf(t) >= 0 ? s.slice(s.indexOf(t) + t.length) : ''))],
  'string-length': [1, 1, textual((s) => chars(s).length)],
  'normalize-space': [1, 1, (env, s) => choices(s).join(' ')],
  'translate': [3, 3, textual(translate)],
  'regex': [2, 2, textual(regex)],
  'selected': [2, 2, (env, value, choice) => choices(value).indexOf(choices(choice).join(' ')) >= 0],
  'count-selected': [1, 1, (env, value) => choices(value).length],
  'selected-at': [2, 2, selectedAt],
  'jr:choice-name': [2, 2, choiceName],
  'today': [0, 0, (env) => new DateValue(Math.floor(env.now), false)],
  'now': [0, 0, (env) => new DateValue(env.now, true)],
  'date': [1, 1, toDate],
  'decimal-date-time': [1, 1, numeric((n) => n)],
  'format-date': [2, 2, (env, v, pattern) => formatDays(toNumber(v), toText(pattern))],
  'position': [0, 0, (env) => (env.position === null || env.position === undefined ? NaN : +env.position)],
  'once': [1, 1, (env, v) => (toText(env.current) === '' ? v : env.current)]
};

// --- tokenizer: {kind: number|string|field|symbol|function|name|end, value, start, end} ---

const token = (kind, value, start, end) => ({kind: kind, value: value, start: start, end: end});
const skipSpace = (source, at) => at + /^[ \t\r\n]*/.exec(source.slice(at))[0].length;

function tokenize(source) {
  const tokens = [];
  let at = skipSpace(source, 0);
  while (at < source.length) {
    tokens.push(readToken(source, at, tokens[tokens.length - 1]));
    at = skipSpace(source, tokens[tokens.length - 1].end);
  }
  return tokens.concat(token('end', null, at, at));
}

function readToken(source, start, previous) {
  const c = source.charAt(start), rest = source.slice(start);
  if (c === '\'' || c === '"') {  // XPath strings have no escapes: use the other quote
    const close = source.indexOf(c, start + 1);
    if (close < 0) fail('unterminated string', start);
    return token('string', source.slice(start + 1, close), start, close + 1);
  }
  if (c === '$') return readField(source, start);
  let match = NUMBER_TOKEN.exec(rest);
  if (match) return token('number', parseFloat(match[0]), start, start + match[0].length);
  const symbol = SYMBOLS.filter((s) => rest.indexOf(s) === 0)[0];
  if (symbol) return token('symbol', symbol, start, start + symbol.length);
  match = NAME_TOKEN.exec(rest);
  if (!match) fail('unexpected character \'' + chars(rest)[0] + '\'', start);
  // As in XPath, and/or/div/mod are operators only right after an operand.
  const name = match[0], end = start + name.length;
  const afterOperand = previous && (/^(number|string|field)$/.test(previous.kind) || /^(\)|\.|\.\.)$/.test(previous.value));
  if (afterOperand && /^(and|or|div|mod)$/.test(name)) return token('symbol', name, start, end);
  return token(source.charAt(skipSpace(source, end)) === '(' ? 'function' : 'name', name, start, end);
}

function readField(source, start) {
  if (source.charAt(start + 1) !== '{') fail('expected \'{\' after \'$\'', start);
  const close = source.indexOf('}', start + 2);
  if (close < 0) fail('missing \'}\' after \'${\'', start);
  const name = source.slice(start + 2, close);
  if (!FIELD_NAME.test(name)) fail('invalid field name \'' + name + '\'', start);
  return token('field', name, start, close + 1);
}

// --- parser: recursive descent over PRECEDENCE, loosest first, all left-associative ---

function parseTree(source, choiceColumns) {
  const tokens = tokenize(source);
  let at = 0;
  const isSymbol = (list) => tokens[at].kind === 'symbol' && list.indexOf(tokens[at].value) >= 0;
  const expect = (symbol, message) => { if (!isSymbol([symbol])) fail(message, tokens[at].start); at++; };
  const unexpected = (t) => fail(t.kind === 'end' ? 'unexpected end of expression'
    : 'unexpected \'' + source.slice(t.start, t.end) + '\'', t.start);

  function binary(level) {
    if (level === PRECEDENCE.length) return unary();
    let left = binary(level + 1);
    while (isSymbol(PRECEDENCE[level])) left = {type: 'binary', op: tokens[at++].value, left: left, right: binary(level + 1)};
    return left;
  }

  function unary() {
    if (!isSymbol(['-'])) return primary();
    at++;
    return {type: 'negate', operand: unary()};
  }

  function primary() {
    const t = tokens[at];
    if (t.kind === 'number' || t.kind === 'string') { at++; return {type: 'literal', value: t.value}; }
    if (t.kind === 'field') { at++; return {type: 'field', name: t.value}; }
    if (t.kind === 'function') return call();
    if (isSymbol(['.'])) { at++; return {type: 'current'}; }
    if (isSymbol(['('])) {
      at++;
      const inner = binary(0);
      expect(')', 'expected \')\'');
      return inner;
    }
    if (isSymbol(['..'])) fail('\'..\' is only supported as position(..)', t.start);
    if (t.kind === 'name' && choiceColumns) { at++; return {type: 'column', name: t.value}; }
    if (t.kind === 'name') fail('unknown name \'' + t.value + '\' (put text in quotes)', t.start);
    unexpected(t);
  }

  function call() {
    const nameToken = tokens[at], name = nameToken.value, args = [];
    if (!has(FUNCTIONS, name)) fail('unknown function \'' + name + '\'', nameToken.start);
    at += 2;  // the name and '(': the tokenizer only calls a name a function when '(' follows
    if (name === 'position' && isSymbol(['..'])) {
      at++;  // position(..) is XLSForm's spelling of position() in a repeat
    } else if (!isSymbol([')'])) {
      args.push(binary(0));
      while (isSymbol([','])) { at++; args.push(binary(0)); }
    }
    expect(')', 'expected \',\' or \')\'');
    const min = FUNCTIONS[name][0], max = FUNCTIONS[name][1];
    if (args.length < min || (max !== null && args.length > max)) {
      const expected = max === null ? 'at least ' + min : (min === max ? min : min + ' or ' + max);
      const noun = /1$/.test(expected) ? 'argument' : 'arguments';
      fail(name + '() takes ' + expected + ' ' + noun + ', got ' + args.length, nameToken.start);
    }
    return {type: 'call', name: name, args: args};
  }

  if (tokens[at].kind === 'end') fail('empty expression', tokens[at].start);
  const tree = binary(0);
  if (tokens[at].kind !== 'end') unexpected(tokens[at]);
  return tree;
}

// --- evaluation ---

function evaluateNode(node, env) {
  switch (node.type) {
    case 'literal': return node.value;
    case 'field': return fieldValue(has(env.values, node.name) ? env.values[node.name] : null);
    case 'current': return env.current;
    case 'column': return env.choice && has(env.choice, node.name) ? env.choice[node.name] : '';
    case 'negate': return -toNumber(evaluateNode(node.operand, env));
    case 'call': return FUNCTIONS[node.name][2].apply(null, [env].concat(node.args.map((arg, i) =>
      // ODK: indexed-repeat()'s field is the field across every instance, even inside one.
      (i === 0 && node.name === 'indexed-repeat' && arg.type === 'field' && env.nodesets &&
       has(env.nodesets, arg.name) ? fieldValue(env.nodesets[arg.name]) : evaluateNode(arg, env)))));
  }
  const op = node.op, left = evaluateNode(node.left, env);
  if (op === 'and') return toBoolean(left) && toBoolean(evaluateNode(node.right, env));
  if (op === 'or') return toBoolean(left) || toBoolean(evaluateNode(node.right, env));
  const right = evaluateNode(node.right, env);
  return /^[=!<>]/.test(op) ? compare(op, left, right) : NUMERIC_OPERATORS[op](toNumber(left), toNumber(right));
}

function collectReferences(node, names) {
  if (node.type === 'field') names[node.name] = true;
  [node.operand, node.left, node.right].concat(node.args).forEach((child) => child && collectReferences(child, names));
  const literal = node.name === 'jr:choice-name' && node.args[1].type === 'literal' && FIELD_LITERAL.exec(node.args[1].value);
  if (literal && FIELD_NAME.test(literal[1])) names[literal[1]] = true;
  return names;
}

function nowDays(now) {
  if (now === null || now === undefined || now instanceof Date) return localDays(now || new Date());
  const days = isoDays(String(now));
  if (Number.isNaN(days)) throw new TypeError('ctx.now is neither a Date nor an ISO date-time: ' + now);
  return days;
}

/** A parsed expression: parse once per form, evaluate on every change of answers. */
function Expression(source, tree) { this.source = source; this.tree = tree; }
Expression.prototype.references = function () { return Object.keys(collectReferences(this.tree, {})).sort(); };
Expression.prototype.evaluate = function (ctx) {
  ctx = ctx || {};
  return evaluateNode(this.tree, {values: ctx.values || {}, current: fieldValue(ctx.current),
    now: nowDays(ctx.now), position: ctx.position, choiceLabel: ctx.choiceLabel, choice: ctx.choice,
    nodesets: ctx.nodesets});
};

let cache = Object.create(null), cached = 0;

function parse(source, choiceColumns) {
  if (typeof source !== 'string') throw new TypeError('an expression must be a string');
  const key = (choiceColumns ? 'choice\u0000' : '') + source;
  if (cache[key]) return cache[key];
  let tree;
  try {
    tree = parseTree(source, choiceColumns);
  } catch (error) {  // report code-point offsets, as Python does
    if (error instanceof ExpressionError) error.position = chars(source.slice(0, error.position)).length;
    throw error;
  }
  if (++cached > 2000) { cache = Object.create(null); cached = 1; }
  return (cache[key] = new Expression(source, tree));
}

// How a typed number is read, on the phone as on the hub (validation.read_integer and
// read_decimal); tests/typed_numbers.json holds the cases both must agree on.
const latinDigits = (text) => String(text).trim().replace(/[\u0660-\u0669\u06f0-\u06f9]/g,
  (d) => String(d.charCodeAt(0) - (d.charCodeAt(0) >= 0x6f0 ? 0x6f0 : 0x660)));
const charClass = (chars) => '[' + chars.replace(/[\]\\^-]/g, '\\$&') + ']';

function readInteger(text) {
  const t = latinDigits(text);
  return /^[+-]?[0-9]{1,15}$/.test(t) ? parseInt(t, 10) : null;
}

function readDecimal(text, decimal, group) {
  const t = latinDigits(text);
  const groups = /^\s$/.test(group) ? ' \u00a0\u202f' : group;
  const points = decimal + (groups.indexOf('.') === -1 ? '.' : '') + '\u066b';
  const m = new RegExp('^([+-]?)([0-9]{1,3}(?:' + charClass(groups) + '[0-9]{3})+|[0-9]*)(?:' +
    charClass(points) + '([0-9]*))?$').exec(t);
  if (!m || !/[0-9]/.test(t)) return null;
  const number = Number(m[1] + m[2].replace(/[^0-9]/g, '') + '.' + (m[3] || '0'));
  return isFinite(number) ? number : null;
}

const FormExpressions = {
  parse: (source) => parse(source, false),
  parseChoiceFilter: (source) => parse(source, true), // a bare name: a column of the choice
  evaluate: (source, ctx) => parse(source).evaluate(ctx),
  toBoolean: toBoolean,
  toNumber: toNumber,
  toText: toText,
  ExpressionError: ExpressionError,
  DateValue: DateValue,
  Nodeset: Nodeset,
  readInteger: readInteger,
  readDecimal: readDecimal,
  FUNCTIONS: Object.keys(FUNCTIONS)
};

if (typeof module !== 'undefined' && module.exports) module.exports = FormExpressions; else root.FormExpressions = FormExpressions;
})(typeof window !== 'undefined' ? window : this);
