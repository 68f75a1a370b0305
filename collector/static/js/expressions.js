/* FormExpressions: the XLSForm/ODK XPath subset of relevant, constraint and calculation
 * columns, for live skip logic. A port of collector/expressions.py (the server's authority);
 * tests/expression_vectors.json runs against both, so change them together.
 * Tokenizer -> recursive-descent parser -> tree walk; no eval. ES2015 for old Android. */
(function (root) {
'use strict';

const SPACE_RUN = /[ \t\r\n]+/;  // XPath whitespace; other Unicode spaces are ordinary characters
const NUMERIC = /^[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\r\n]*$/;
const OFFSET = '(Z|[+-](?:(?:0[0-9]|1[0-3])(?::?[0-5][0-9])?|14(?::?00)?))?';  // XML Schema's -14:00..+14:00
const ISO_DATE = new RegExp('^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\\.[0-9]+)?))?' + OFFSET + ')?$');
const ISO_TIME = new RegExp('^([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\\.[0-9]+)?))?' + OFFSET + '$');
const NUMBER_TOKEN = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
const NAME_TOKEN = /^[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?/;
const FIELD_NAME = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*$/;
// `../age`, `./age`, `current()/../region`: XPath's relative paths to a question, as pyxform
// passes them to ODK. Names are unique in a form, so the last step names the question.
const PATH_STEP = '[A-Za-z_\\u00C0-\\uFFFF][A-Za-z0-9_.\\-\\u00B7\\u00C0-\\uFFFF]*';
const RELATIVE_PATH = new RegExp('^(?:current\\(\\)/)?(?:\\.\\.?/)+(?:' + PATH_STEP + '/)*(' + PATH_STEP + ')');
const FIELD_LITERAL = /^[ \t\r\n]*\$\{([^}]*)\}[ \t\r\n]*$/;
const FORMAT_CODE = /%([\s\S]?)/gu;
const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const WEEKDAYS = 'Sun Mon Tue Wed Thu Fri Sat'.split(' ');  // Date's getUTCDay() order
const DIGESTS = ['md5', 'sha-1', 'sha-256', 'sha-384', 'sha-512'];
const SYMBOLS = ['..', '!=', '<=', '>=', '(', ')', ',', '+', '-', '*', '=', '<', '>', '.', '[', ']'];
// instance('list')/root/item[...]/column: the items of one of the form's choice lists.
const INSTANCE_PATH = /^instance\(\s*(['"])([A-Za-z_][\w.\-]*)\1\s*\)\s*\/\s*root\s*\/\s*item/;
const ITEM_STEP = /^\/\s*([A-Za-z_][\w.\-]*)/;
const PRECEDENCE = [['or'], ['and'], ['=', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*', 'div', 'mod']];

const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
const pad = (n, width) => ('000' + n).slice(-width);
const chars = (text) => Array.from(text);  // code points, as Python's str counts them

// The zone of the form's clock, in minutes east of UTC: the offset of ctx.now while an
// expression runs. Date-times with another offset are read on this clock.
let zone = 0;

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

/** Thrown by what only the hub computes (digest()): the page leaves it to the hub. */
function HubOnlyError(name) { this.name = 'HubOnlyError'; this.message = name + '() is computed by the hub'; }
HubOnlyError.prototype = Object.create(Error.prototype);

/** A date (withTime false), or a date-time: days on the clock of `offset` (minutes east of UTC). */
function DateValue(days, withTime, offset) {
  this.days = days; this.withTime = withTime; this.offset = offset === undefined ? zone : offset;
}
DateValue.prototype.toString = function () { return isoText(this.days, this.withTime, this.offset); };

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

/** [y, m, d, weekday], or null. */
function daysToCivil(days) {
  const date = new Date(days * 864e5), y = date.getUTCFullYear();
  return y > 0 && y < 10000 ? [y, date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay()] : null;
}

/** 'Z', '+05:30', '-0800', '+03' -> minutes east of UTC; null without an offset. */
function offsetMinutes(text) {
  if (!text) return null;
  if (text === 'Z') return 0;
  const digits = text.slice(1).replace(':', ''), minutes = +digits.slice(0, 2) * 60 + (+digits.slice(2) || 0);
  return text.charAt(0) === '-' ? -minutes : minutes;
}

function seconds(h, m, s) {
  h = +h; m = +m; s = s ? parseFloat(s) : 0;
  return h > 23 || m > 59 || s >= 60 ? null : h * 3600 + m * 60 + s;
}

/** [days on the form's clock, has a time] of an ISO date or date-time, or null; a date-time
 * without an offset is on the form's clock, one with an offset is moved to it. */
function readIso(text) {
  const m = ISO_DATE.exec(text);
  const days = m ? civilToDays(+m[1], +m[2], +m[3]) : NaN;
  if (Number.isNaN(days)) return null;
  if (!m[4]) return [days, false];
  const s = seconds(m[4], m[5], m[6]), offset = offsetMinutes(m[7]);
  return s === null ? null : [days + s / 86400 + (offset === null ? 0 : (zone - offset) / 1440), true];
}

/** A date's days, or a date-time's on the form's clock. */
const dateDays = (v) => (v.withTime ? v.days + (zone - v.offset) / 1440 : v.days);

/** [days, has a time (null: a number)] for date(), date-time(), format-date(); null if no date. */
function asDays(value) {
  if (value instanceof Nodeset) value = value.items.length ? value.items[0] : '';
  if (typeof value === 'boolean') return null;
  if (value instanceof DateValue) return [dateDays(value), value.withTime];
  if (typeof value === 'number') return [value, null];
  const text = toText(value);
  return NUMERIC.test(text) ? [parseFloat(text), null] : readIso(text);
}

/** [days, hour, minute, second, millisecond, [y, m, d, weekday]] to the nearest ms, or null. */
function clock(days) {
  if (!Number.isFinite(days)) return null;
  let whole = Math.floor(days), millis = Math.floor((days - whole) * 86400000 + 0.5);
  if (millis === 86400000) { whole += 1; millis = 0; }
  const ymd = daysToCivil(whole), s = Math.floor(millis / 1000);
  return ymd && [whole, Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60, millis % 1000, ymd];
}

/** A day count as a date-time on the form's clock, to the millisecond; '' outside years 1-9999. */
function dateTime(days) {
  const c = clock(days);
  return c ? new DateValue(c[0] + (c[1] * 3600 + c[2] * 60 + (c[3] + c[4] * 1000 / 1e6)) / 86400, true) : '';
}

function isoText(days, withTime, offset) {
  if (!withTime) return formatDays(days, '%Y-%m-%d');
  const a = Math.abs(offset);
  return formatDays(days, '%Y-%m-%dT%H:%M:%S.%3' + (offset < 0 ? '-' : '+') + pad(Math.floor(a / 60), 2) + ':' + pad(a % 60, 2));
}

/** format-date(): ODK's codes; '' for a day count outside years 1-9999. */
function formatDays(days, pattern) {
  const c = clock(days);
  if (!c) return '';
  const ymd = c[5], fields = {Y: pad(ymd[0], 4), y: pad(ymd[0] % 100, 2), m: pad(ymd[1], 2), n: ymd[1],
    b: MONTHS[ymd[1] - 1], d: pad(ymd[2], 2), e: ymd[2], a: WEEKDAYS[ymd[3]], H: pad(c[1], 2), h: c[1],
    M: pad(c[2], 2), S: pad(c[3], 2), 3: pad(c[4], 3), '%': '%'};
  return pattern.replace(FORMAT_CODE, (all, code) => String(fields[code]));
}

/** An unknown code (or a lone '%' at the end) is an error that names it. */
function checkFormat(pattern, position) {
  pattern.replace(FORMAT_CODE, (all, code) => {
    if (!code || 'YymnbdeaHhMS3%'.indexOf(code) < 0) fail('unknown date format code \'' + all + '\'', position);
    return all;
  });
}

// --- conversions: XPath number(), string(), boolean() ---

/** Dates and ISO date strings count days since 1970-01-01 on the form's clock, as in ODK. */
function toNumber(value) {
  if (typeof value === 'number') return value;
  if (value instanceof Nodeset) return toNumber(value.items[0]);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof DateValue) return dateDays(value);
  const text = toText(value);
  if (NUMERIC.test(text)) return parseFloat(text);
  const read = readIso(text);
  return read ? read[0] : NaN;
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
  // A Date is a time on the phone's own wall clock (its daylight-saving offset included).
  if (value instanceof Date) return new DateValue(value.getTime() / 864e5 - value.getTimezoneOffset() / 1440, true);
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
  // Without the record's repeats at hand, a repeat inside another is indexed by its last pair.
  if (arguments.length > 4) n = arguments[arguments.length - 1];
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
/** ODK's pulldata('fruits', 'price', 'name', ${fruit}): the `price` of the first row of
 *  fruits.csv whose `name` is the answer; empty when no row (or no such file) has it. */
function pulldata(env, file, column, keyColumn, key) {
  const rows = (env.data && env.data[toText(file)]) || [], wanted = toText(key);
  const byKey = toText(keyColumn), wantedColumn = toText(column);
  for (let i = 0; i < rows.length; i++) {
    if (toText(has(rows[i], byKey) ? rows[i][byKey] : '') === wanted) {
      return toText(has(rows[i], wantedColumn) ? rows[i][wantedColumn] : '');
    }
  }
  return '';
}

function choiceName(env, choice, path) {
  const match = FIELD_LITERAL.exec(toText(path)), field = match ? match[1] : toText(path).replace(/\/+$/, '').split('/').pop();
  const label = env.choiceLabel ? env.choiceLabel(field, toText(choice)) : null;
  return label === null || label === undefined ? '' : toText(label);
}

/** date(): a date stays a date and a date-time keeps its time (as in ODK); a number is that
 * many whole days (toward zero) after 1970-01-01; '' for anything else. */
function toDate(env, value) {
  const read = asDays(value);
  if (!read || !Number.isFinite(read[0])) return '';
  if (read[1]) return dateTime(read[0]);
  const days = Math.trunc(read[0]);
  return daysToCivil(days) ? new DateValue(days, false) : '';
}

/** format-date() and format-date-time(): every ODK code; '' when it is not a date. */
function formatDate(env, value, pattern) {
  pattern = toText(pattern);
  checkFormat(pattern, 0);
  const read = asDays(value);
  return read ? formatDays(read[0], pattern) : '';
}

/** decimal-time(): a time (or a date-time's time) as a fraction of the day on the form's clock. */
function decimalTime(env, value) {
  if (value instanceof Nodeset) value = value.items.length ? value.items[0] : '';
  if ((value instanceof DateValue && value.withTime) || (typeof value === 'string' && value.indexOf('T') >= 0)) {
    const read = asDays(value);
    return read && read[1] ? read[0] - Math.floor(read[0]) : NaN;
  }
  const m = typeof value === 'number' || typeof value === 'boolean' ? null : ISO_TIME.exec(toText(value));
  const s = m ? seconds(m[1], m[2], m[3]) : null;
  if (s === null) return NaN;
  const offset = offsetMinutes(m[4]), shifted = s + (offset === null ? 0 : (zone - offset) * 60);
  return (((shifted % 86400) + 86400) % 86400) / 86400;
}

/** XPath 1.0 substring(): 1-based, positions round(start) <= p < round(start) + round(length). */
function substring(env, text, start, length) {
  const list = chars(toText(text)), first = xround(toNumber(start));
  const last = length === undefined ? Infinity : first + xround(toNumber(length));
  const low = Math.max(first, 1), high = Math.min(last, list.length + 1);
  return low < high ? list.slice(low - 1, high - 1).join('') : '';
}
const xround = (n) => (Number.isFinite(n) ? Math.floor(n + 0.5) : n);

function randomBytes(count) {
  const bytes = new Uint8Array(count), source = typeof crypto !== 'undefined' && crypto.getRandomValues ? crypto : null;
  if (source) source.getRandomValues(bytes); else for (let i = 0; i < count; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes);
}

/** A random version 4 UUID; with a length, that many random letters and digits. */
function uuid(env, length) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  if (length !== undefined) {
    const n = toNumber(length), count = Number.isFinite(n) && n > 0 ? Math.min(Math.trunc(n), 4096) : 0;
    return randomBytes(count).map((b) => alphabet.charAt(b % 62)).join('');
  }
  const hex = randomBytes(16).map((b, i) => (i === 6 ? (b & 15) | 64 : i === 8 ? (b & 63) | 128 : b))
    .map((b) => pad(b.toString(16), 2)).join('');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

function checkDigest(algorithm, encoding, position) {
  if (DIGESTS.indexOf(algorithm.toLowerCase()) < 0) fail('unknown digest algorithm \'' + algorithm + '\'', position);
  if (['base64', 'hex'].indexOf(encoding.toLowerCase()) < 0) fail('unknown digest encoding \'' + encoding + '\'', position);
}

/** The UTF-8 text of base64 (ASCII spaces ignored, '=' padding optional); '' if invalid. */
function base64Decode(env, value) {
  const text = toText(value).replace(/[ \t\r\n\f]/g, ''), bare = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || bare.length % 4 === 1) return '';
  const binary = atob(bare + '==='.slice(0, (4 - bare.length % 4) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder('utf-8').decode(bytes);
}

/** checklist(): min and max inclusive; a negative one does not apply. */
function within(count, min, max) {
  const low = toNumber(min), high = toNumber(max);
  return (low < 0 || count >= low) && (high < 0 || count <= high);
}

/** checklist() where each true answer counts its weight; two nodesets pair their items. */
function weightedChecklist(env, min, max, ...pairs) {
  let total = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const v = pairs[i], w = pairs[i + 1];
    if (v instanceof Nodeset && w instanceof Nodeset) {
      v.items.slice(0, w.items.length).forEach((item, j) => { total += toBoolean(item) ? toNumber(w.items[j]) : 0; });
    } else if (toBoolean(v)) total += toNumber(w);
  }
  return within(total, min, max);
}

// Locations, as collector/locations.py reads and measures them (ODK's JavaRosa GeoUtils):
// "lat lon [alt [acc]]", points joined by ";"; metres on a sphere of 6,378,100 m.
const EARTH_RADIUS = 6378100;
const CIRCUMFERENCE = 2 * Math.PI * EARTH_RADIUS;
const LOCATION_NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const MAX_POINTS = 500;
const radians = (degrees) => degrees * Math.PI / 180;

function parsePoint(text) {
  const parts = String(text).replace(/,/g, ' ').split(/\s+/).filter((part) => part !== '');
  if (parts.length < 2 || parts.length > 4 || !parts.every((part) => LOCATION_NUMBER.test(part))) return null;
  const numbers = parts.map(Number);
  if (!numbers.every(isFinite)) return null;
  if (!(numbers[0] >= -90 && numbers[0] <= 90 && numbers[1] >= -180 && numbers[1] <= 180)) return null;
  if (numbers.length === 4 && numbers[3] < 0) return null;
  return numbers;
}

function parsePoints(text) {
  const pieces = String(text).replace(/\n/g, ';').split(';').filter((piece) => piece.trim() !== '');
  const points = pieces.map(parsePoint);
  return points.some((point) => point === null) ? null : points;
}

/** The answer a location question of `type` reads from what is typed, or null (as the hub). */
function readLocation(type, text) {
  if (type === 'geopoint' || type === 'start-geopoint') return parsePoint(text);
  let points = parsePoints(text);
  if (points === null) return null;
  const last = points.length - 1;
  if (type === 'geoshape' && last > 0 && points[0][0] === points[last][0] && points[0][1] === points[last][1]) points = points.slice(0, last);
  if (points.length < (type === 'geoshape' ? 3 : 2) || points.length > MAX_POINTS) return null;
  return points;
}

// The points of location answers: text of traces, shapes and points, and nodesets of them.
const locationPoints = (values) => spread(values).reduce((all, item) => all.concat(parsePoints(toText(item)) || []), []);

// area()/distance(): NaN with no location or a text that is not one; a repeat's unanswered points are left out.
function measure(values, of) {
  const shapes = spread(values).map(toText).filter((t) => t.trim()).map(parsePoints);
  return !shapes.length || shapes.includes(null) ? NaN : of([].concat(...shapes));
}

function between(a, b) {
  const lat1 = radians(a[0]), lat2 = radians(b[0]);
  const cosine = Math.sin(lat1) * Math.sin(lat2) + Math.cos(lat1) * Math.cos(lat2) * Math.cos(radians(a[1] - b[1]));
  return Math.acos(Math.min(1, Math.max(-1, cosine))) * EARTH_RADIUS;
}

function distance(points) {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += between(points[i - 1], points[i]);
  return total;
}

function area(points) {
  if (points.length < 3) return 0;
  const lat0 = points[0][0], lon0 = points[0][1], rest = points.slice(1);
  const xs = rest.map((p) => (p[1] - lon0) * CIRCUMFERENCE * Math.cos(radians(p[0])) / 360);
  const ys = rest.map((p) => (p[0] - lat0) * CIRCUMFERENCE / 360);
  let total = 0;
  for (let i = 1; i < xs.length; i++) total += (ys[i - 1] * xs[i] - xs[i - 1] * ys[i]) / 2;
  return Math.abs(total);
}

function pointInPolygon(point, polygon) {
  const ring = polygon.slice();
  if (ring.length && (ring[0][0] !== ring[ring.length - 1][0] || ring[0][1] !== ring[ring.length - 1][1])) ring.push(ring[0]);
  const lat = point[0], lon = point[1];
  let inside = false;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1], b = ring[i];
    if ((b[0] > lat) !== (a[0] > lat) && lon < (a[1] - b[1]) * (lat - b[0]) / (a[0] - b[0]) + b[1]) inside = !inside;
  }
  return inside;
}

function geofence(env, point, shape) {
  const where = locationPoints([point]), corners = locationPoints([shape]);
  return where.length > 0 && corners.length >= 3 && pointInPolygon(where[0], corners);
}

// randomize(): ODK's Park-Miller shuffle, as collector/expressions.py's shuffled().
function shuffled(items, seed) {
  let draw = Math.random;
  if (seed !== undefined && seed !== null) {
    const n = toNumber(seed), M = 2147483647;
    let state = (Number.isNaN(n) ? 0 : n === Infinity ? 2147483648 : n === -Infinity ? -2147483649 : Math.trunc(n)) % M;
    if (state <= 0) state += M - 1;
    draw = () => { state = (state * 16807) % M; return (state - 1) / (M - 1); };
  }
  const result = [];
  items.forEach((item, i) => {
    const j = Math.floor(draw() * (i + 1));
    if (j !== i) result[i] = result[j];
    result[j] = item;
  });
  return result;
}

const FUNCTIONS = {
  'not': [1, 1, (env, v) => !toBoolean(v)],
  'true': [0, 0, () => true],
  'false': [0, 0, () => false],
  'boolean': [1, 1, (env, v) => toBoolean(v)],
  'boolean-from-string': [1, 1, textual((s) => s === 'true' || s === '1')],
  'number': [1, 1, numeric((n) => n)],
  'string': [1, 1, textual((s) => s)],
  'int': [1, 1, numeric(Math.trunc)],
  'round': [1, 2, numeric(round)],
  'floor': [1, 1, numeric(Math.floor)],
  'ceiling': [1, 1, numeric(Math.ceil)],
  'abs': [1, 1, numeric(Math.abs)],
  'pow': [2, 2, numeric(Math.pow)],
  'exp10': [1, 1, numeric((n) => Math.pow(10, n))],
  'sqrt': [1, 1, numeric(Math.sqrt)],
  'exp': [1, 1, numeric(Math.exp)],
  'log': [1, 1, numeric(Math.log)],
  'log10': [1, 1, numeric(Math.log10)],
  'sin': [1, 1, numeric(Math.sin)],
  'cos': [1, 1, numeric(Math.cos)],
  'tan': [1, 1, numeric(Math.tan)],
  'asin': [1, 1, numeric(Math.asin)],
  'acos': [1, 1, numeric(Math.acos)],
  'atan': [1, 1, numeric(Math.atan)],
  'atan2': [2, 2, numeric(Math.atan2)],
  'pi': [0, 0, () => Math.PI],
  'random': [0, 0, () => Math.random()],
  'randomize': [1, 2, (env, values, seed) => new Nodeset(shuffled(values instanceof Nodeset ? values.items : [values], seed))],
  'min': [1, null, extreme((a, b) => a < b)],
  'max': [1, null, extreme((a, b) => a > b)],
  'count': [1, 1, (env, v) => (v instanceof Nodeset ? v.items.length : +(toText(v) !== ''))],
  'count-non-empty': [1, 1, (env, v) => spread([v]).filter((item) => toText(item) !== '').length],
  'sum': [1, 1, (env, v) => spread([v]).reduce((total, item) => total + toNumber(item), 0)],
  'indexed-repeat': [3, 7, indexedRepeat],
  'join': [1, null, (env, sep, ...values) => spread(values).map(toText).join(toText(sep))],
  'if': [3, 3],  // evaluateNode computes only the branch chosen
  // The first value unless it is empty (or NaN: the sum of an empty answer, say).
  'coalesce': [2, 2, (env, first, second) => (toText(first) === '' || (typeof first === 'number' && Number.isNaN(first)) ? second : first)],
  'checklist': [2, null, (env, min, max, ...values) => within(spread(values).filter((v) => toBoolean(v)).length, min, max)],
  'weighted-checklist': [2, null, weightedChecklist],
  'concat': [1, null, textual((...parts) => parts.join(''))],
  'contains': [2, 2, textual((s, t) => s.indexOf(t) >= 0)],
  'starts-with': [2, 2, textual((s, t) => s.slice(0, t.length) === t)],
  'ends-with': [2, 2, textual((s, t) => s.length >= t.length && s.slice(s.length - t.length) === t)],
  'substr': [2, 3, substr],
  'substring': [2, 3, substring],
  'substring-before': [2, 2, textual((s, t) => (s.indexOf(t) >= 0 ? s.slice(0, s.indexOf(t)) : ''))],
  'substring-after': [2, 2, textual((s, t) => (s.indexOf(t) >= 0 ? s.slice(s.indexOf(t) + t.length) : ''))],
  'string-length': [1, 1, textual((s) => chars(s).length)],
  'normalize-space': [1, 1, (env, s) => choices(s).join(' ')],
  'translate': [3, 3, textual(translate)],
  'regex': [2, 2, textual(regex)],
  'uuid': [0, 1, uuid],
  // Computed by the hub (no synchronous hashing in the browser): the page leaves it to the hub.
  'digest': [2, 3, textual((message, algorithm, encoding) => {
    checkDigest(algorithm, encoding === undefined ? 'base64' : encoding, 0);
    throw new HubOnlyError('digest');
  })],
  'base64-decode': [1, 1, base64Decode],
  // '' is selected only in an empty answer (ODK splits an empty answer into one empty choice).
  'selected': [2, 2, (env, value, choice) => {
    const wanted = toText(choice).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ''), tokens = choices(value);
    return wanted ? tokens.indexOf(wanted) >= 0 : tokens.length === 0;
  }],
  'count-selected': [1, 1, (env, value) => choices(value).length],
  'selected-at': [2, 2, selectedAt],
  'jr:choice-name': [2, 2, choiceName],
  'pulldata': [4, 4, pulldata],
  'distance': [1, null, (env, ...values) => measure(values, distance)],
  'area': [1, 1, (env, value) => measure([value], area)],
  'geofence': [2, 2, geofence],
  'today': [0, 0, (env) => new DateValue(Math.floor(env.now), false)],
  'now': [0, 0, (env) => new DateValue(env.now, true)],
  'date': [1, 1, toDate],
  'date-time': [1, 1, (env, v) => { const read = asDays(v); return read ? dateTime(read[0]) : ''; }],
  'decimal-date-time': [1, 1, numeric((n) => n)],
  'decimal-time': [1, 1, decimalTime],
  'format-date': [2, 2, formatDate],
  'format-date-time': [2, 2, formatDate],
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
  let match = RELATIVE_PATH.exec(rest);
  // current()/../x in a choice filter is the select's own x (choices from a repeat: `here`).
  if (match) return token(match[0].startsWith('current()') ? 'here_field' : 'field', match[1], start, start + match[0].length);
  match = INSTANCE_PATH.exec(rest);
  if (match) return token('instance', match[2], start, start + match[0].length);
  match = ITEM_STEP.exec(rest);
  if (match && previous && (previous.kind === 'instance' || previous.value === ']')) return token('step', match[1], start, start + match[0].length);
  match = NUMBER_TOKEN.exec(rest);
  if (match) return token('number', parseFloat(match[0]), start, start + match[0].length);
  const symbol = SYMBOLS.filter((s) => rest.indexOf(s) === 0)[0];
  if (symbol) return token('symbol', symbol, start, start + symbol.length);
  match = NAME_TOKEN.exec(rest);
  if (!match) fail('unexpected character \'' + chars(rest)[0] + '\'', start);
  // As in XPath, and/or/div/mod are operators only right after an operand.
  const name = match[0], end = start + name.length;
  const afterOperand = previous && (/^(number|string|field|here_field|saved)$/.test(previous.kind) || /^(\)|\.|\.\.)$/.test(previous.value));
  const op = afterOperand && /^(and|or|div|mod)(?=$|[0-9])/.exec(name);  // `1div2` too, as browsers' XPath
  if (op) return token('symbol', op[1], start, start + op[1].length);
  return token(source.charAt(skipSpace(source, end)) === '(' ? 'function' : 'name', name, start, end);
}

function readField(source, start) {
  if (source.charAt(start + 1) !== '{') fail('expected \'{\' after \'$\'', start);
  const close = source.indexOf('}', start + 2);
  if (close < 0) fail('missing \'}\' after \'${\'', start);
  const name = source.slice(start + 2, close), saved = /^last-saved#/.test(name);  // ODK's last record saved
  if (!FIELD_NAME.test(saved ? name.slice(11) : name)) fail('invalid field name \'' + name + '\'', start);
  return token(saved ? 'saved' : 'field', saved ? name.slice(11) : name, start, close + 1);
}

// --- parser: recursive descent over PRECEDENCE, loosest first, all left-associative ---

function parseTree(source, choiceColumns, faults) {
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
    if (t.kind === 'field' || t.kind === 'here_field') { at++; return {type: 'field', name: t.value, here: t.kind === 'here_field'}; }
    if (t.kind === 'saved') { at++; return {type: 'saved', name: t.value}; }
    if (t.kind === 'function') return call();
    if (t.kind === 'instance') return instance();
    if (isSymbol(['.'])) { at++; return {type: 'current'}; }
    if (isSymbol(['('])) {
      at++;
      const inner = binary(0);
      expect(')', 'expected \')\'');
      return inner;
    }
    if (isSymbol(['..'])) fail('\'..\' is only supported as position(..)', t.start);
    if (t.kind === 'name' && t.value === 'null') { at++; return {type: 'literal', value: ''}; }  // a path to no question: ODK reads it as empty
    if (t.kind === 'name' && choiceColumns) { at++; return {type: 'column', name: t.value}; }
    if (t.kind === 'name') fail('unknown name \'' + t.value + '\' (put text in quotes)', t.start);
    unexpected(t);
  }

  function instance() {  // a bare name in [...] is a column of the item
    const node = {type: 'instance', name: tokens[at++].value, predicate: null, column: null};
    if (isSymbol(['['])) {
      at++;
      const saved = choiceColumns;
      choiceColumns = true;
      node.predicate = binary(0);
      choiceColumns = saved;
      expect(']', 'expected \']\'');
    }
    if (tokens[at].kind === 'step') node.column = tokens[at++].value;
    return node;
  }

  // A call import refuses: an error only when computed, as ODK's engines evaluate lazily.
  function fault(message, args, position) {
    faults.push(message = new ExpressionError(message, position));
    return {type: 'fault', args: args, error: message};
  }

  function call() {
    const nameToken = tokens[at], name = nameToken.value, args = [];
    const unknown = !has(FUNCTIONS, name) && fault('unknown function \'' + name + '\'', [], nameToken.start);
    at += 2;  // the name and '(': the tokenizer only calls a name a function when '(' follows
    if (name === 'position' && isSymbol(['..'])) {
      at++;  // position(..) is XLSForm's spelling of position() in a repeat
    } else if (!isSymbol([')'])) {
      args.push(binary(0));
      while (isSymbol([','])) { at++; args.push(binary(0)); }
    }
    expect(')', 'expected \',\' or \')\'');
    if (unknown) return unknown;
    const min = FUNCTIONS[name][0], max = FUNCTIONS[name][1];
    if (name === 'indexed-repeat' && [3, 5, 7].indexOf(args.length) === -1) {
      return fault('indexed-repeat() takes 3, 5 or 7 arguments, got ' + args.length, args, nameToken.start);
    }
    if (args.length < min || (max !== null && args.length > max)) {
      const expected = max === null ? 'at least ' + min : (min === max ? min : min + ' or ' + max);
      const noun = /1$/.test(expected) ? 'argument' : 'arguments';
      return fault(name + '() takes ' + expected + ' ' + noun + ', got ' + args.length, args, nameToken.start);
    }
    checkCall(name, args, nameToken.start);
    return {type: 'call', name: name, args: args};
  }

  if (tokens[at].kind === 'end') fail('empty expression', tokens[at].start);
  const tree = binary(0);
  if (tokens[at].kind !== 'end') unexpected(tokens[at]);
  return tree;
}

/** What is known before any answer: an even weighted-checklist(), literal format codes and digest names. */
function checkCall(name, args, position) {
  const literal = (i) => (args[i] && args[i].type === 'literal' && typeof args[i].value === 'string' ? args[i].value : null);
  if (/^count(-non-empty)?$/.test(name) && /^(literal|binary|negate)$/.test(args[0].type)) fail(name + '() takes a question, not a value', position);
  if (name === 'weighted-checklist' && args.length % 2) {
    fail(name + '() takes an even number of arguments, got ' + args.length, position);
  }
  if ((name === 'format-date' || name === 'format-date-time') && literal(1) !== null) checkFormat(literal(1), position);
  const encoding = args.length > 2 ? literal(2) : 'base64';
  if (name === 'digest' && literal(1) !== null && encoding !== null) checkDigest(literal(1), encoding, position);
}

// --- evaluation ---

const TRUTH_ARGUMENT = ['if', 'boolean', 'not'];  // functions whose first argument is a test

/** boolean() of a node: `.` is the question's node, which exists even when empty (as if(., ...) reads it in ODK). */
const truth = (node, env) => node.type === 'current' || toBoolean(evaluateNode(node, env));

function evaluateNode(node, env) {
  switch (node.type) {
    case 'literal': return node.value;
    case 'field': {
      const values = node.here && env.here ? env.here : env.values;
      return fieldValue(has(values, node.name) ? values[node.name] : null);
    }
    case 'current': return env.current;
    case 'saved': return fieldValue(env.saved && has(env.saved, node.name) ? env.saved[node.name] : null);
    case 'column': return env.choice && has(env.choice, node.name) ? env.choice[node.name] : '';
    case 'instance': {
      const items = ((env.instances || {})[node.name] || []).filter((item) => !node.predicate ||
        toBoolean(evaluateNode(node.predicate, Object.assign({}, env, {choice: item}))));
      return new Nodeset(node.column === null ? items : items.map((item) => (has(item, node.column) ? item[node.column] : '')));
    }
    case 'negate': return -toNumber(evaluateNode(node.operand, env));
    case 'fault': node.args.forEach((arg) => evaluateNode(arg, env)); throw node.error;
    case 'call':
      if (node.name === 'if') return evaluateNode(node.args[truth(node.args[0], env) ? 1 : 2], env);  // only the branch chosen
      if (node.name === 'indexed-repeat' && env.indexed && namedRepeats(node.args)) {
        // In a record: the instances each (repeat, index) pair picks, at any depth.
        const picks = [];
        for (let i = 1; i < node.args.length; i += 2) picks.push([node.args[i].name, toNumber(evaluateNode(node.args[i + 1], env))]);
        const found = env.indexed(node.args[0].name, picks);
        return found.items.length ? fieldValue(found.items[0]) : '';
      }
      return FUNCTIONS[node.name][2].apply(null, [env].concat(node.args.map((arg, i) =>
      // ODK: indexed-repeat()'s field is the field across every instance, even inside one.
      (i === 0 && node.name === 'indexed-repeat' && arg.type === 'field' && env.nodesets &&
       has(env.nodesets, arg.name) ? fieldValue(env.nodesets[arg.name])
        : i === 0 && arg.type === 'current' && TRUTH_ARGUMENT.indexOf(node.name) >= 0 ? true : evaluateNode(arg, env)))));
  }
  const op = node.op;
  if (op === 'and') return truth(node.left, env) && truth(node.right, env);
  if (op === 'or') return truth(node.left, env) || truth(node.right, env);
  const left = evaluateNode(node.left, env), right = evaluateNode(node.right, env);
  return /^[=!<>]/.test(op) ? compare(op, left, right) : NUMERIC_OPERATORS[op](toNumber(left), toNumber(right));
}

/** indexed-repeat(${field}, ${repeat}, n, ...): the field and repeats named directly. */
const namedRepeats = (args) => args.every((arg, i) => i % 2 === 0 && i > 0 || arg.type === 'field');

const instancesIn = (node, name) => (node && typeof node === 'object' && Array.isArray(node[name]) ? node[name] : []);

/** What an expression at `at` ([[repeat, position], ...]) sees in a record, as the hub's
 * repeats.Scope: the same instance's answer, then an enclosing one's; else a nodeset inside
 * the nearest shared instance. `lineages`: each repeat's and repeated question's chain. */
function repeatScope(answers, lineages, at) {
  at = at || [];
  const path = [answers];
  at.forEach((step) => {
    const found = instancesIn(path[path.length - 1], step[0]);
    const item = step[1] >= 1 && step[1] <= found.length ? found[step[1] - 1] : null;
    path.push(item && typeof item === 'object' ? item : {});
  });
  const values = {};
  Object.keys(answers).forEach((name) => { if (!has(lineages, name)) values[name] = answers[name]; });
  Object.keys(lineages).forEach((name) => {
    const chain = lineages[name], isRepeat = chain[chain.length - 1] === name;
    const target = isRepeat ? chain.slice(0, -1) : chain;
    let shared = 0;
    while (shared < at.length && shared < target.length && at[shared][0] === target[shared]) shared++;
    if (!isRepeat && shared === chain.length) { values[name] = path[shared][name]; return; }
    let nodes = [path[shared]];
    chain.slice(shared).forEach((level) => { nodes = [].concat.apply([], nodes.map((node) => instancesIn(node, level))); });
    values[name] = new Nodeset(isRepeat ? nodes : nodes.map((item) => (item && typeof item === 'object' ? item[name] : null)));
  });
  return values;
}

/** indexed-repeat() in a record: `name` in the instances the [repeat, index] pairs pick. */
function indexedNodes(answers, lineages, name, picks) {
  const picked = {};
  picks.forEach((pick) => { picked[pick[0]] = pick[1]; });
  let nodes = [answers];
  (has(lineages, name) ? lineages[name] : []).forEach((level) => {
    const n = has(picked, level) ? picked[level] : null;
    if (n === null) nodes = [].concat.apply([], nodes.map((node) => instancesIn(node, level)));
    else if (Number.isInteger(n) && n >= 1) nodes = nodes.map((node) => instancesIn(node, level)[n - 1]);
    else nodes = [];  // a fraction selects none
    nodes = nodes.filter((item) => item && typeof item === 'object');
  });
  return new Nodeset(nodes.map((node) => node[name]));
}

function collectReferences(node, names) {
  if (node.type === 'field') names[node.name] = true;
  [node.operand, node.left, node.right, node.predicate].concat(node.args).forEach((child) => child && collectReferences(child, names));
  const literal = node.name === 'jr:choice-name' && node.args[1].type === 'literal' && FIELD_LITERAL.exec(node.args[1].value);
  if (literal && FIELD_NAME.test(literal[1])) names[literal[1]] = true;
  return names;
}

/** The clock and its zone: a Date is on the phone's zone; ISO text on its offset (none: UTC). */
function clockOf(now) {
  if (now === null || now === undefined || now instanceof Date) {
    const date = now || new Date(), offset = -date.getTimezoneOffset();
    return {zone: offset, days: date.getTime() / 864e5 + offset / 1440};
  }
  const m = ISO_DATE.exec(String(now)), saved = zone;
  zone = m ? offsetMinutes(m[7]) || 0 : 0;
  const read = readIso(String(now)), offset = zone;
  zone = saved;
  if (!read) throw new TypeError('ctx.now is neither a Date nor an ISO date-time: ' + now);
  return {zone: offset, days: read[0]};
}

/** A parsed expression: parse once per form, evaluate on every change of answers. */
function Expression(source, tree) { this.source = source; this.tree = tree; }
Expression.prototype.references = function () { return Object.keys(collectReferences(this.tree, {})).sort(); };
Expression.prototype.evaluate = function (ctx) {
  ctx = ctx || {};
  const clock = clockOf(ctx.now), saved = zone;
  zone = clock.zone;
  try {
    return evaluateNode(this.tree, {values: ctx.values || {}, current: fieldValue(ctx.current),
      now: clock.days, position: ctx.position, choiceLabel: ctx.choiceLabel, choice: ctx.choice, here: ctx.here,
      nodesets: ctx.nodesets, data: ctx.data, instances: ctx.instances, indexed: ctx.indexed, saved: ctx.lastSaved});
  } finally {
    zone = saved;
  }
};

let cache = Object.create(null), cached = 0;

function parse(source, choiceColumns) {
  if (typeof source !== 'string') throw new TypeError('an expression must be a string');
  const key = (choiceColumns ? 'choice\u0000' : '') + source;
  if (cache[key]) return cache[key];
  const faults = [], points = (error) => {  // code-point offsets, as Python reports
    if (error instanceof ExpressionError) error.position = chars(source.slice(0, error.position)).length;
    return error;
  };
  let tree;
  try {
    tree = parseTree(source, choiceColumns, faults);
  } catch (error) {  // a fault met before a syntax error is the one reported
    throw points(faults[0] || error);
  }
  faults.forEach(points);
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
  // Arabic marks too (validation.read_decimal).
  const groups = (/^\s$/.test(group) ? ' \u00a0\u202f' : group) + '\u066c';
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
  HubOnlyError: HubOnlyError,
  DateValue: DateValue,
  Nodeset: Nodeset,
  readInteger: readInteger,
  readDecimal: readDecimal,
  readLocation: readLocation,
  shuffled: shuffled,
  repeatScope: repeatScope,
  indexedNodes: indexedNodes,
  FUNCTIONS: Object.keys(FUNCTIONS)
};

if (typeof module !== 'undefined' && module.exports) module.exports = FormExpressions; else root.FormExpressions = FormExpressions;
})(typeof window !== 'undefined' ? window : this);
