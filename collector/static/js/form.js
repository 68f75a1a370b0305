/* Live skip logic and checks: shows and hides questions as answers change and checks
   answers (required, type, range, constraint) with the same expressions and messages the
   hub uses when the page is sent. Without this script the hub applies the same rules
   between pages, so nothing depends on it. On a whole form in one page (data-steps), it
   also steps through the sections one at a time and ends with a review of the answers
   before Finalize, as the section-by-section pages do. Repeats: instances are added and
   removed in place (as many as a repeat_count asks for), and an expression in an
   instance sees that instance's answers, those of the instances around it (a repeat
   inside another) and its position(). */
(function () {
  'use strict';
  var form = document.querySelector('form.record');
  if (!form || !window.FormExpressions) { return; }
  var E = window.FormExpressions;
  var contextNode = document.getElementById('context');
  var earlier = contextNode ? JSON.parse(contextNode.textContent || '{}') : {};
  var DATA = pulldataFiles(document.getElementById('form-data'));
  var listsNode = document.getElementById('form-instances');  // instance('list') lookups
  var INSTANCES = listsNode ? JSON.parse(listsNode.textContent || '{}') : {};
  var savedNode = document.getElementById('form-last-saved');  // ${last-saved#x}: the hub's pages only
  var LAST_SAVED = savedNode ? JSON.parse(savedNode.textContent || '{}') : {};
  var blocks = [];
  var compiled = {};
  // Each repeat's and repeated question's chain of repeats, outermost first, those on other
  // pages included (the hub puts them on the form): how a name resolves in an instance.
  var LINEAGES = JSON.parse(form.getAttribute('data-lineages') || '{}');
  // Numbers are read with the symbols of the page's language, as the hub reads them.
  var DECIMAL = form.getAttribute('data-decimal') || '.', GROUP = form.getAttribute('data-group') || ',';

  var MEDIA = /^(image|audio|video|file)$/;
  function readNumber(type, raw, block) {
    if (type === 'decimal') { return E.readDecimal(raw, DECIMAL, GROUP); }
    // A range's buttons carry the hub's own numbers (0.5 in a decimal range), never grouped.
    if (type === 'range') { return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : null; }
    var whole = E.readInteger(raw);
    if (whole === null && hasLook(block, 'thousands-sep')) {
      // Typed grouped as the page's language groups numbers ("12 500"), as the hub reads it.
      var grouped = E.readDecimal(raw, DECIMAL, GROUP);
      if (grouped !== null && Math.floor(grouped) === grouped && Math.abs(grouped) < 1e15) { whole = grouped; }
    }
    return whole;
  }

  // A question's appearances: one word, or several separated by spaces (`minimal quick`).
  function hasLook(block, word) {
    var looks = block ? (block.getAttribute('data-appearance') || '').split(' ') : [];
    return looks.indexOf(word) >= 0;
  }

  // A date typed as its day, month and year (no-calendar): ISO when all three are there,
  // '' when none is, and otherwise what was typed, which the type check refuses.
  function dateFromParts(inputs) {
    var parts = Array.prototype.map.call(inputs, function (input) { return String(input.value).trim(); });
    if (parts.join('') === '') { return ''; }
    var day = parts[0], month = parts[1], year = parts[2];
    if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) { return parts.join('/'); }
    return year + '-' + ('0' + month).slice(-2) + '-' + ('0' + day).slice(-2);
  }

  // Whether an ISO date is one the calendar has (not 31 February).
  function realDate(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!m) { return false; }
    var day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return day.getUTCFullYear() === Number(m[1]) && day.getUTCMonth() === Number(m[2]) - 1 &&
      day.getUTCDate() === Number(m[3]);
  }

  // pulldata()'s files as the hub keeps them with the form (`fruits.csv`: rows, the header
  // first), read as the evaluator looks in them: `fruits` → rows of column → text.
  function pulldataFiles(node) {
    var files = node ? JSON.parse(node.textContent || '{}') : {}, data = Object.create(null);
    Object.keys(files).forEach(function (name) {
      var header = files[name][0];
      data[name.replace(/\.csv$/, '')] = files[name].slice(1).map(function (row) {
        var item = Object.create(null);
        header.forEach(function (column, i) { item[column] = row[i]; });
        return item;
      });
    });
    return data;
  }

  function collect() {
    // A <template>'s content is not part of the page, so a new instance's questions are
    // found only once it is added.
    blocks = Array.prototype.slice.call(form.querySelectorAll('.q[data-name]'));
  }

  function instanceOf(block) { return block.closest('.repeat-instance'); }

  // Where a node stands: [[repeat, position], ...] of the instances around it, outermost first.
  function atOf(node) {
    var at = [], instance = node ? instanceOf(node) : null;
    while (instance) {
      var repeat = instance.parentNode.closest('.repeat');
      at.unshift([repeat.getAttribute('data-repeat'), Number(instance.getAttribute('data-position'))]);
      instance = instanceOf(repeat.parentNode);
    }
    return at;
  }

  function suffixOf(at) { return at.map(function (step) { return '.' + step[1]; }).join(''); }

  // The name the answer is posted under: `age`, `member_age.2` in a repeat's second
  // instance, `kind.2.1` in the first illness of member 2.
  function keyOf(block) { return block.getAttribute('data-name') + suffixOf(atOf(block)); }

  // A repeat's own parts, not those of the repeats inside its instances.
  function own(node, selector) {
    return Array.prototype.filter.call(node.children, function (child) { return child.matches(selector); })[0] || null;
  }

  function inputsOf(block) { return form.querySelectorAll('[name="' + keyOf(block) + '"]'); }

  function rawOf(block) {
    var inputs = inputsOf(block);
    var raw = '';
    if (block.getAttribute('data-type') === 'rank') { return valueOf(block).join(' '); }
    if (hasLook(block, 'no-calendar')) { return dateFromParts(inputs); }
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === 'file') { return mediaRaw(inputs); }
      if (input.type === 'radio' || input.type === 'checkbox') {
        if (input.checked) { raw = input.value; }
      } else { raw = input.value; }
    }
    return String(raw).trim();
  }

  // A media question posts its file, the name of the file kept so far (hidden) and a box to
  // remove it, all under its name: its answer is a new file's name, else the kept one.
  function mediaRaw(inputs) {
    var chosen = '', kept = '', removed = false;
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.type === 'file') { chosen = input.files && input.files.length ? input.files[0].name : ''; }
      else if (input.type === 'checkbox') { removed = removed || input.checked; }
      else { kept = input.value; }
    });
    return chosen || (removed ? '' : kept);
  }

  function valueOf(block) {
    var type = block.getAttribute('data-type');
    if (type === 'select_multiple') {
      var inputs = inputsOf(block), picked = [];
      for (var i = 0; i < inputs.length; i++) { if (inputs[i].checked) { picked.push(inputs[i].value); } }
      return picked;
    }
    if (type === 'rank') {  // the positions in order, an empty one left out (as the hub)
      return Array.prototype.map.call(inputsOf(block), function (input) { return input.value; })
        .filter(function (name) { return name !== ''; });
    }
    var raw = rawOf(block);
    if ((type === 'integer' || type === 'decimal' || type === 'range') && raw !== '') {
      var n = readNumber(type, raw, block);
      return n === null ? raw : n;
    }
    if (type === 'date' && /^\d{4}-\d{2}$/.test(raw)) { return raw + '-01'; }
    if (type === 'date' && /^\d{4}$/.test(raw)) { return raw + '-01-01'; }  // a year
    return raw;
  }

  // The answers on the page and before it, as the hub keeps them: `top` holds those asked
  // once and each repeat's instances (a repeat inside another, in each of its instances).
  function currentValues() {
    var top = {}, key;
    for (key in earlier) { if (Object.prototype.hasOwnProperty.call(earlier, key)) { top[key] = earlier[key]; } }
    Array.prototype.forEach.call(form.querySelectorAll('.repeat'), function (node) {
      if (!instanceOf(node)) { top[node.getAttribute('data-repeat')] = []; }  // the page's own
    });
    var state = { top: top };
    Array.prototype.forEach.call(form.querySelectorAll('.repeat-instance'), function (node) { holderAt(state, atOf(node)); });
    blocks.forEach(function (block) {
      var type = block.getAttribute('data-type'), name = block.getAttribute('data-name');
      var target = holderOf(state, block);
      if (type === 'calculate') {
        // Computed in form order, so a later calculation can use an earlier one. A once()
        // keeps the value the record holds, and sends back the one it kept.
        delete target[name];
        var kept = block.querySelector('input[name^="_once."]');
        try {
          var computed = relevant(block, state) ? stored(calculated(block, state, kept ? kept.value : undefined)) : null;
          if (computed !== null) { target[name] = computed; }
          if (kept) { kept.value = computed === null ? '' : String(computed); }
        } catch (error) { /* the hub computes it when the page is sent */ }
      } else if (type !== 'note' && !block.hidden) {
        target[name] = valueOf(block);
      }
    });
    return state;
  }

  function holderOf(state, block) { return holderAt(state, atOf(block)); }

  function holderAt(state, at) {
    var node = state.top;
    at.forEach(function (step) {
      var list = Array.isArray(node[step[0]]) ? node[step[0]] : (node[step[0]] = []);
      while (list.length < step[1]) { list.push({}); }
      node = list[step[1] - 1];
    });
    return node;
  }

  // What an expression of `block` (or, without one, of the page) sees, as the hub resolves
  // it: in an instance its own answers (an unanswered one empty, never another instance's),
  // then those of the instances around it; other repeats' answers as nodesets.
  function scopeOf(state, block) { return E.repeatScope(state.top, LINEAGES, atOf(block)); }

  function positionOf(block) {
    var at = atOf(block);
    return at.length ? at[at.length - 1][1] : null;
  }

  // As the hub stores a calculation (validation.stored_value): true/false as text, dates as ISO
  // text, no value for an empty text or a number that is not finite.
  function stored(value) {
    if (typeof value === 'boolean') { return value ? 'true' : 'false'; }
    if (typeof value === 'number') { return isFinite(value) ? value : null; }
    var text = E.toText(value);
    return text === '' ? null : text;
  }

  function result(source, state, block, current) {
    if (!compiled[source]) { compiled[source] = E.parse(source); }
    return compiled[source].evaluate({ values: scopeOf(state, block), current: current,
      now: new Date(), position: positionOf(block), choiceLabel: choiceLabel, data: DATA,
      instances: INSTANCES, lastSaved: LAST_SAVED,
      nodesets: source.indexOf('indexed-repeat') === -1 ? null : scopeOf(state, null),
      indexed: function (name, picks) { return E.indexedNodes(state.top, LINEAGES, name, picks); } });
  }

  // jr:choice-name(): the label the page shows for that choice (the hub's, in its language).
  function choiceLabel(field, choice) {
    var block = form.querySelector('.q[data-name="' + field + '"]');
    var item = block && Array.prototype.filter.call(block.querySelectorAll('input, option'),
      function (node) { return node.value === choice && node.type !== 'hidden'; })[0];
    if (!item) { return null; }
    return (item.tagName === 'OPTION' ? item : item.closest('label')).textContent.trim();
  }

  function calculated(block, state, current) { return result(block.getAttribute('data-calculation'), state, block, current); }

  function evaluate(source, state, block, current) { return E.toBoolean(result(source, state, block, current)); }

  function holds(node, state, block) {
    var source = node && node.getAttribute('data-relevant');
    if (!source) { return true; }
    try { return evaluate(source, state, block); } catch (error) {
      return true; // the hub decides when the page is sent
    }
  }

  // Its section's relevance, that of each repeat inside another it is in, and its own.
  function relevant(block, state) {
    for (var node = block.closest('.repeat[data-relevant]'); node; node = node.parentNode.closest('.repeat[data-relevant]')) {
      if (!holds(node, state, block)) { return false; }
    }
    return holds(block.closest('.step'), state, block) && holds(block, state, block);
  }

  function apply() {
    // Twice, so a question that depends on one just shown or hidden settles.
    for (var pass = 0; pass < 2; pass++) {
      countInstances();
      var values = currentValues();
      // A repeat inside another that does not apply in this instance: not even its button.
      Array.prototype.forEach.call(form.querySelectorAll('.repeat[data-relevant]'), function (repeat) {
        repeat.hidden = !holds(repeat, values, repeat);
      });
      blocks.forEach(function (block) {
        if (block.getAttribute('data-type') === 'calculate') { return; } // never shown
        var show = relevant(block, values);
        block.hidden = !show;
        var shown = block.querySelector('input[name="_shown"]');
        if (shown) { shown.disabled = !show; }
        if (show && block.hasAttribute('data-choices-from')) { fromRepeat(block, values); }
        else if (show && block.hasAttribute('data-choice-filter')) { offer(block, values); }
        if (show && block.hasAttribute('data-seed')) { reorder(block, values); }
        var mark = block.hasAttribute('data-required-if') && block.querySelector('.req');
        if (mark) { mark.hidden = !needed(block, values); }
      });
      // A group inside the page: its heading only over questions shown, as the hub draws it.
      Array.prototype.forEach.call(form.querySelectorAll('fieldset.group'), function (group) {
        group.hidden = group.querySelector('.q[data-name]:not([hidden])') === null;
      });
    }
  }

  // A choice_filter: offer only the choices it keeps; an answer no longer offered is cleared.
  function offer(block, values) {
    var filter = E.parseChoiceFilter(block.getAttribute('data-choice-filter'));
    Array.prototype.forEach.call(block.querySelectorAll('[data-columns]'), function (item) {
      var choice = JSON.parse(item.getAttribute('data-columns'));
      choice.name = item.value;
      var keep = true;
      try {
        keep = E.toBoolean(filter.evaluate({ values: scopeOf(values, block), now: new Date(),
          position: positionOf(block), choice: choice, data: DATA, instances: INSTANCES, lastSaved: LAST_SAVED }));
      } catch (error) { /* the hub decides */ }
      var holder = item.tagName === 'OPTION' ? item : item.closest('label');
      holder.hidden = !keep;
      item.disabled = !keep || block.hasAttribute('data-read-only'); // read-only stays so
      if (!keep) { item.checked = false; item.selected = false; }
    });
  }

  // Choices from a repeat's answers (data-choices-from): one per instance with an answer,
  // as the hub draws them (validation.repeat_choices), again as instances are added,
  // removed or typed in. A choice_filter tests each instance: its repeat's answers are the
  // instance's own, current()/.. the select's.
  function fromRepeat(block, state) {
    var source = block.getAttribute('data-choices-from'), chain = LINEAGES[source] || [];
    if (!chain.length) { return; }
    var node = state.top;
    atOf(block).slice(0, chain.length - 1).forEach(function (step) {
      var list = Array.isArray(node[step[0]]) ? node[step[0]] : [];
      node = list[step[1] - 1] || {};
    });
    var items = Array.isArray(node[chain[chain.length - 1]]) ? node[chain[chain.length - 1]] : [];
    var filter = block.hasAttribute('data-choice-filter') ? E.parseChoiceFilter(block.getAttribute('data-choice-filter')) : null;
    var here = scopeOf(state, block), mine = chain.join('/');
    var names = Object.keys(LINEAGES).filter(function (name) {
      return LINEAGES[name].join('/') === mine && name !== chain[chain.length - 1];
    });
    var texts = [];
    items.forEach(function (item, i) {
      var value = item && item[source];
      var text = value === undefined || value === null ? '' : E.toText(value);
      if (text === '' || texts.indexOf(text) !== -1) { return; }
      if (filter) {
        var seen = Object.assign({}, here);
        names.forEach(function (name) { seen[name] = item[name]; });
        try {
          if (!E.toBoolean(filter.evaluate({ values: seen, here: here, now: new Date(), position: i + 1,
            choice: item, data: DATA, instances: INSTANCES, lastSaved: LAST_SAVED }))) { return; }
        } catch (error) { /* the hub decides */ }
      }
      texts.push(text);
    });
    redraw(block, texts);
  }

  // A select's choices drawn anew, only when they changed, keeping what was picked.
  function redraw(block, texts) {
    var drawn = JSON.stringify(texts);
    if (block.getAttribute('data-drawn') === drawn) { return; }
    block.setAttribute('data-drawn', drawn);
    var key = keyOf(block), list = block.querySelector('select'), box = block.querySelector('.options');
    var picked = Array.prototype.filter.call(inputsOf(block), function (input) {
      return input.checked || input.tagName === 'SELECT';
    }).map(function (input) { return input.value; });
    var off = block.hasAttribute('data-read-only');
    if (list) {
      Array.prototype.slice.call(list.options, 1).forEach(function (option) { option.remove(); });
      texts.forEach(function (text) {
        var option = new Option(text, text, false, picked.indexOf(text) !== -1);
        list.appendChild(option);
      });
      return;
    }
    if (!box) { return; }
    var kind = block.getAttribute('data-type') === 'select_one' ? 'radio' : 'checkbox';
    box.textContent = '';
    texts.forEach(function (text) {
      var label = document.createElement('label'), input = document.createElement('input'), span = document.createElement('span');
      label.className = 'opt';
      input.type = kind; input.name = key; input.value = text; input.disabled = off;
      input.checked = picked.indexOf(text) !== -1;
      span.textContent = text;
      label.appendChild(input); label.appendChild(span); box.appendChild(label);
    });
  }

  // randomize with a seed answered on this page: the choices in the order ODK gives for it.
  function reorder(block, values) {
    var seed;
    try { seed = result(block.getAttribute('data-seed'), values, block); } catch (error) { return; }
    if (E.toText(seed) === '' || block.getAttribute('data-seed-used') === E.toText(seed)) { return; }
    block.setAttribute('data-seed-used', E.toText(seed));
    var items = Array.prototype.slice.call(block.querySelectorAll('[data-index]'));
    items.sort(function (a, b) { return a.getAttribute('data-index') - b.getAttribute('data-index'); });
    E.shuffled(items, seed).forEach(function (item) { item.parentNode.appendChild(item); });
  }

  function typeProblem(block, raw) {
    var type = block.getAttribute('data-type');
    if (raw === '' || !block.hasAttribute('data-type-message')) { return null; }
    if (hasLook(block, 'no-calendar') && /^\d{4}-\d{2}-\d{2}$/.test(raw)) {
      return realDate(raw) ? null : block.getAttribute('data-date-message');
    }
    var ok = type === 'integer' || type === 'decimal' ? readNumber(type, raw, block) !== null
      : type === 'text' ? !hasLook(block, 'numbers') || /^[0-9\u0660-\u0669\u06f0-\u06f9 +\-.]+$/.test(raw)
      : hasLook(block, 'year') ? /^[0-9\u0660-\u0669\u06f0-\u06f9]{4}$/.test(raw)
      : /^(geo|start-geo)/.test(type) ? E.readLocation(type, raw) !== null
      : type === 'time' ? /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$/.test(raw)
      : type === 'datetime' ? /^\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$/.test(raw)
      : /^\d{4}-\d{2}(-\d{2})?$/.test(raw);
    return ok ? null : block.getAttribute('data-type-message');
  }

  function problemOf(block, values, live) {
    if (block.hidden || block.getAttribute('data-type') === 'note') { return null; }
    var value = valueOf(block);
    var empty = value === '' || (Array.isArray(value) && value.length === 0);
    if (empty) { return needed(block, values) ? block.getAttribute('data-required') : null; }
    var ranked = block.hasAttribute('data-rank-message') ? rankProblem(block, value, live, values) : null;
    if (ranked) { return ranked; }
    var typed = typeProblem(block, rawOf(block));
    if (typed) { return typed; }
    var low = block.getAttribute('data-min'), high = block.getAttribute('data-max');
    if ((low && value < Number(low)) || (high && value > Number(high))) {
      return block.getAttribute('data-range-message');
    }
    // A media answer's constraint reads the name the hub gives the file: the hub checks it.
    var constraint = MEDIA.test(block.getAttribute('data-type')) ? null : block.getAttribute('data-constraint');
    try {
      if (constraint && !evaluate(constraint, values, block, value)) {
        return block.getAttribute('data-constraint-message');
      }
    } catch (error) { return null; }
    return null;
  }

  // A rank: each choice in one position only; when required, every choice offered placed
  // (said when the page is sent, not while the person is still placing them).
  function rankProblem(block, value, live, values) {
    var twice = value.some(function (name, i) { return value.indexOf(name) !== i; });
    if (twice) { return block.getAttribute('data-rank-message'); }
    var offered = block.querySelectorAll('select')[0].querySelectorAll('option:not([value=""]):not([disabled])');
    if (!live && block.hasAttribute('data-rank-missing') && value.length < offered.length && needed(block, values)) {
      return block.getAttribute('data-rank-missing');
    }
    return null;
  }

  // Whether an answer is needed: always, or while data-required-if holds (as the hub's
  // validation.is_required reads it). What only the hub computes is left to the hub.
  function needed(block, values) {
    var condition = block.getAttribute('data-required-if');
    try { return !condition || evaluate(condition, values, block); } catch (error) { return false; }
  }

  function show(block, message) {
    var name = keyOf(block);
    var node = document.getElementById(name + '-error');
    var control = block.querySelector('input:not([type=hidden]), select, textarea');
    block.classList.toggle('has-error', !!message);
    if (control) { control.setAttribute('aria-invalid', message ? 'true' : 'false'); }
    if (!message) { if (node) { node.remove(); } return; }
    if (!node) {
      node = document.createElement('p');
      node.className = 'error';
      node.id = name + '-error';
      var anchor = block.querySelector('legend, label');
      anchor.parentNode.insertBefore(node, anchor.nextSibling);
    }
    node.textContent = message;
  }

  // Checks the questions in `scope` (a section, or the whole page); shows each problem,
  // moves focus to the first and says whether all is well.
  function check(scope) {
    var values = currentValues(), first = null;
    blocks.forEach(function (block) {
      if (!scope.contains(block)) { return; }
      var message = problemOf(block, values);
      show(block, message);
      if (message && !first) { first = block; }
    });
    if (first) {
      var control = first.querySelector('input:not([type=hidden]), select, textarea');
      if (control) { control.focus(); }
    }
    return !first;
  }

  // -- Repeats -------------------------------------------------------------------------

  function instancesOf(repeat) {
    return Array.prototype.filter.call(repeat.children, function (node) { return node.classList.contains('repeat-instance'); });
  }

  // Posted names, ids and labels follow an instance's position, as the hub renders them,
  // in the repeats inside it too.
  function renumber(instance, position) {
    var repeat = instance.parentNode;
    instance.setAttribute('data-position', String(position));
    own(instance, 'legend').textContent = repeat.getAttribute('data-legend').replace('%(num)s', String(position));
    [instance].concat(Array.prototype.slice.call(instance.querySelectorAll('.repeat-instance'))).forEach(function (node) {
      var at = atOf(node), name = at[at.length - 1][0], legend = own(node, 'legend');
      legend.id = 'legend-' + name + '-' + at.map(function (step) { return step[1]; }).join('-');
      var remove = own(node, '.repeat-remove');
      if (remove) {  // "Remove", described by the instance's heading for screen readers
        remove.value = 'remove:' + name + ':' + suffixOf(at).slice(1);
        remove.setAttribute('aria-describedby', legend.id);
      }
    });
    Array.prototype.forEach.call(instance.querySelectorAll('.repeat'), function (inner) {
      var name = inner.getAttribute('data-repeat'), outer = suffixOf(atOf(inner));
      own(inner, 'input[type=hidden]').name = '_repeat.' + name + outer;
      var add = own(inner, '.repeat-add');
      if (add) { add.value = 'add:' + name + ':' + outer.slice(1); }
    });
    Array.prototype.forEach.call(instance.querySelectorAll('.q[data-name]'), function (block) {
      var key = keyOf(block), old = block.id ? block.id.slice(2) : null;
      if (block.id) { block.id = 'q-' + key; }
      Array.prototype.forEach.call(block.querySelectorAll('[name]'), function (input) {
        if (input.name === '_shown') { input.value = key; } else { input.name = key; }
      });
      Array.prototype.forEach.call(block.querySelectorAll('[id], [for], [aria-describedby]'), function (node) {
        ['id', 'for', 'aria-describedby'].forEach(function (attribute) {
          var text = node.getAttribute(attribute);
          if (text && old) { node.setAttribute(attribute, text.split(old).join(key)); }
        });
      });
    });
  }

  // Instances a repeat_count took away, with what was typed in them: a count typed again
  // ("1" on the way to "12", a slip corrected) brings them back.
  // Kept on the repeat's own node: a repeat inside another has one per instance.
  var setAside = [];

  function addInstance(repeat) {
    var list = instancesOf(repeat), kept = repeat.setAside || [];
    if (list.length >= Number(repeat.getAttribute('data-max'))) { return; }
    var instance = kept.length ? kept.pop()
      : own(repeat, 'template').content.firstElementChild.cloneNode(true);
    var after = list.length ? list[list.length - 1] : own(repeat, 'input[type=hidden]');
    after.parentNode.insertBefore(instance, after.nextSibling);
    renumber(instance, list.length + 1);
    counted(repeat);
  }

  function removeInstance(repeat, instance) {
    if (repeat.hasAttribute('data-repeat-count')) {
      (repeat.setAside = repeat.setAside || []).push(instance);
      setAside.push(repeat);
    }
    instance.remove();
    instancesOf(repeat).forEach(function (node, i) { renumber(node, i + 1); });
    counted(repeat);
  }

  function counted(repeat) {
    var count = instancesOf(repeat).length;
    own(repeat, 'input[type=hidden]').value = String(count);
    var empty = own(repeat, '.repeat-empty'), add = own(repeat, '.repeat-add');
    if (empty) { empty.hidden = count > 0; }
    if (add) { add.disabled = count >= Number(repeat.getAttribute('data-max')); }
    collect();
  }

  function setInstances(repeat, count) {
    while (instancesOf(repeat).length < count && instancesOf(repeat).length < Number(repeat.getAttribute('data-max'))) { addInstance(repeat); }
    var list = instancesOf(repeat);
    for (var i = list.length - 1; i >= count; i--) { removeInstance(repeat, list[i]); }
  }

  // A repeat_count decides how many instances there are, as the answers it uses change.
  function countInstances() {
    Array.prototype.forEach.call(form.querySelectorAll('.repeat[data-repeat-count]'), function (repeat) {
      var wanted;
      try {
        wanted = E.toNumber(result(repeat.getAttribute('data-repeat-count'), currentValues(), repeat));
      } catch (error) { return; }
      var step = repeat.closest('.step');
      if (!isFinite(wanted) || (step && !holds(step, currentValues(), null)) ||
          (repeat.hasAttribute('data-relevant') && !holds(repeat, currentValues(), repeat))) { wanted = 0; }
      setInstances(repeat, Math.max(0, Math.min(Math.trunc(wanted), Number(repeat.getAttribute('data-max')))));
    });
  }

  var initial = Array.prototype.map.call(form.querySelectorAll('.repeat'), function (repeat) {
    return [repeat, instancesOf(repeat).length];
  });
  form.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('.repeat-add, .repeat-remove');
    if (!button) { return; }
    event.preventDefault();
    var repeat = button.closest('.repeat');
    if (button.classList.contains('repeat-add')) {
      addInstance(repeat);
      var fresh = instancesOf(repeat);
      var control = fresh[fresh.length - 1].querySelector('input:not([type=hidden]), select, textarea');
      if (control) { control.focus(); }
    } else {
      removeInstance(repeat, button.closest('.repeat-instance'));
      own(repeat, '.repeat-add').focus();
    }
    form.dispatchEvent(new Event('change'));
  });
  // A form cleared for the next interview starts with as many instances as it was given.
  form.addEventListener('reset', function () {
    initial.forEach(function (pair) { setInstances(pair[0], pair[1]); });
    setAside.forEach(function (repeat) { repeat.setAside = []; });  // never the last interview's answers
    setAside = [];
  });

  // A changed answer is checked at once, but an empty one only when the page is sent.
  form.addEventListener('change', function (event) {
    apply();
    var block = event.target.closest && event.target.closest('.q[data-name]');
    if (block && blocks.indexOf(block) !== -1 && rawOf(block) !== '') { show(block, problemOf(block, currentValues(), true)); }
  });
  form.addEventListener('input', apply);
  var lastButton = null; // event.submitter is missing on older phones
  form.addEventListener('click', function (event) {
    if (event.target.type === 'submit') { lastButton = event.target; }
  });
  // On a form stepped through (data-steps): what a Finalize sent before the review does.
  var beforeFinalize = null;
  form.addEventListener('submit', function (event) {
    var button = event.submitter || lastButton;
    var action = button ? button.value : 'next';
    if (action === 'draft' || action === 'back') { return; }
    if (beforeFinalize && beforeFinalize(action)) {
      event.preventDefault();
      event.stepHandled = true;
      return;
    }
    if (!check(form)) { event.preventDefault(); }
  });
  collect();
  apply();
  window.FormChecks = {
    check: check,
    apply: apply,
    // For a draft kept on the phone: as many instances as it had, before its answers return.
    // `name` as the count is posted: `members`, or `illnesses.2` inside member 2.
    setInstances: function (name, count) {
      var input = form.querySelector('.repeat > input[name="_repeat.' + name + '"]');
      if (input) { setInstances(input.parentNode, count); }
    }
  };
  var problems = document.getElementById('problems');
  if (problems) { problems.focus(); }
  if (form.hasAttribute('data-steps')) { steps(); }

  function steps() {
    var sections = Array.prototype.slice.call(form.querySelectorAll('.step'));
    var next = form.querySelector('.step-next'), back = form.querySelector('.step-back');
    var finish = form.querySelector('.step-finish'), toReview = form.querySelector('.step-review');
    var review = form.querySelector('.review-step');
    var progress = form.getAttribute('data-progress');
    var firstError = form.querySelector('.q.has-error');
    var at = firstError ? sections.indexOf(firstError.closest('.step')) : 0;
    var reviewing = false;

    // A section with a question to answer, or a repeat the person may add to.
    function open(index) {
      var section = sections[index];
      return section.querySelector('.q[data-name]:not([hidden])') !== null ||
        (section.querySelector('.repeat-add') !== null && holds(section, currentValues(), null));
    }
    function references(source) {
      try { return E.parse(source).references(); } catch (error) { return []; }
    }
    function unanswered(name, state) {
      var block = form.querySelector('.q[data-name="' + name + '"]');
      if (!block || block.closest('.repeat')) { return false; }  // asked once only
      var value = state.top[name];
      return value === undefined || value === null || value === '' ||
        (Array.isArray(value) && value.length === 0);
    }
    // A section that does not apply now but an answer not given yet may open (before
    // consent, every later one): it counts, as the hub counts it (interview.undecided).
    function undecided(index) {
      var section = sections[index], state = currentValues();
      var names = [];
      if (section.hasAttribute('data-relevant') && !holds(section, state, null)) {
        names = references(section.getAttribute('data-relevant'));
      } else {
        Array.prototype.forEach.call(section.querySelectorAll('.q[data-relevant]'), function (block) {
          if (block.getAttribute('data-type') !== 'calculate') {
            names = names.concat(references(block.getAttribute('data-relevant')));
          }
        });
      }
      return names.some(function (name) { return unanswered(name, state); });
    }
    function counted(index) { return index === at || open(index) || undecided(index); }
    function neighbour(from, step) {
      for (var i = from + step; i >= 0 && i < sections.length; i += step) { if (open(i)) { return i; } }
      return -1;
    }
    function later(from) {
      for (var i = from + 1; i < sections.length; i++) { if (counted(i)) { return i; } }
      return -1;
    }
    function showStep(index, focus) {
      at = index;
      reviewing = false;
      review.hidden = true;
      var total = sections.filter(function (s, i) { return counted(i); }).length;
      var number = sections.slice(0, index + 1).filter(function (s, i) { return counted(i); }).length;
      sections.forEach(function (section, i) { section.hidden = i !== index; });
      sections[index].querySelector('.progress').textContent =
        progress.replace('%(num)s', String(number)).replace('%(total)s', String(total));
      var last = later(index) === -1;
      next.hidden = last;
      toReview.hidden = !last;
      finish.hidden = true;
      back.hidden = neighbour(index, -1) === -1;
      if (focus) { sections[index].querySelector('h1').focus(); }
    }
    // The review: each open section's answers as the page shows them (choices by their
    // labels), with a way back to change a section, then Finalize.
    function showReview() {
      reviewing = true;
      var list = review.querySelector('.review-list');
      list.textContent = '';
      sections.forEach(function (section, index) {
        if (!open(index)) { return; }
        var part = document.createElement('section');
        part.className = 'review';
        var heading = document.createElement('h2');
        heading.textContent = section.querySelector('h1').textContent;
        var items = document.createElement('dl');
        blocks.forEach(function (block) {
          var type = block.getAttribute('data-type');
          if (!section.contains(block) || block.hidden || type === 'note' || type === 'calculate') { return; }
          var term = document.createElement('dt'), value = document.createElement('dd');
          term.textContent = questionText(block);
          var text = answerText(block);
          if (text === '') {
            var none = document.createElement('span');
            none.className = 'muted';
            none.textContent = form.getAttribute('data-no-answer');
            value.appendChild(none);
          } else {
            value.textContent = text;
            value.setAttribute('dir', 'auto');
          }
          items.appendChild(term);
          items.appendChild(value);
        });
        var change = document.createElement('button');
        change.type = 'button';
        change.className = 'review-change';
        change.textContent = form.getAttribute('data-change');
        change.addEventListener('click', function () { showStep(index, true); });
        part.appendChild(heading);
        part.appendChild(items);
        part.appendChild(change);
        list.appendChild(part);
      });
      sections.forEach(function (section) { section.hidden = true; });
      review.hidden = false;
      next.hidden = true;
      toReview.hidden = true;
      finish.hidden = false;
      back.hidden = false;
      review.querySelector('h1').focus();
    }
    function questionText(block) {
      var label = block.querySelector('legend, label').cloneNode(true);
      Array.prototype.forEach.call(label.querySelectorAll('.req'), function (node) { node.remove(); });
      var text = label.textContent.replace(/\s+/g, ' ').trim();
      // Each instance it is in, outermost first: "Member (2) · Illness (1) · Which illness?"
      var places = [];
      for (var instance = instanceOf(block); instance; instance = instanceOf(instance.parentNode)) {
        places.unshift(own(instance, 'legend').textContent.trim());
      }
      return places.concat([text]).join(' · ');
    }
    function answerText(block) {
      var picked = [];
      var raw = rawOf(block);
      if (hasLook(block, 'no-calendar') && realDate(raw)) { return dayText(raw); }
      if (hasLook(block, 'hidden-answer') && raw !== '') { return block.querySelector('.hidden-answer').getAttribute('data-review'); }
      if (hasLook(block, 'thousands-sep') && readNumber(block.getAttribute('data-type'), raw, block) !== null) {
        return grouped(readNumber(block.getAttribute('data-type'), raw, block));
      }
      Array.prototype.forEach.call(inputsOf(block), function (input) {
        if (input.tagName === 'SELECT') {
          if (input.value !== '') { picked.push(input.options[input.selectedIndex].textContent.trim()); }
        } else if (input.type === 'file') { // the file chosen, else the page's word for the one kept
          var kept = block.querySelector('.media-current p');
          if (input.files && input.files.length) { picked.push(input.files[0].name); }
          else if (mediaRaw(inputsOf(block)) && kept) { picked.push(kept.textContent.trim()); }
        } else if (block.querySelector('input[type=file]')) {
          return; // the kept file and the remove box: said with the file input
        } else if (input.type === 'radio' || input.type === 'checkbox') {
          if (input.checked) { picked.push(input.closest('label').textContent.trim()); }
        } else if (input.value.trim() !== '') { picked.push(input.value.trim()); }
      });
      if (picked.length > 1 && window.Intl && Intl.ListFormat) {
        return new Intl.ListFormat(document.documentElement.lang || undefined, { type: 'conjunction' }).format(picked);
      }
      return picked.join(', ');
    }
    // As the hub's review shows them: a date in the page's language, a number grouped.
    function dayText(iso) {
      try {
        return new Intl.DateTimeFormat((document.documentElement.lang || 'en') + '-u-nu-latn',
          { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(iso + 'T00:00:00Z'));
      } catch (error) { return iso; }
    }
    function grouped(number) {
      try {  // Latin digits, as the hub writes them in every language
        return new Intl.NumberFormat((document.documentElement.lang || 'en') + '-u-nu-latn',
          { maximumFractionDigits: 3 }).format(number);
      } catch (error) { return String(number); }
    }
    next.addEventListener('click', function () {
      if (!check(sections[at])) { return; }
      // The answers just checked decide the sections that were still open to them.
      var following = neighbour(at, 1);
      if (following === -1) { showReview(); } else { showStep(following, true); }
    });
    toReview.addEventListener('click', function () {
      if (check(sections[at])) { showReview(); }
    });
    back.addEventListener('click', function () {
      if (reviewing) { showStep(at, true); return; }
      showStep(Math.max(neighbour(at, -1), 0), true);
    });
    // Answers can open or close later sections: the buttons follow.
    form.addEventListener('change', function () { if (!reviewing) { showStep(at, false); } });
    // Finalize comes after the review (Enter in a field would skip it): Next, or the review.
    beforeFinalize = function (action) {
      if (reviewing || (action !== 'finalize' && action !== 'next')) { return false; }
      (later(at) === -1 ? toReview : next).click();
      return true;
    };
    form.addEventListener('submit', function (event) {
      if (event.defaultPrevented && !event.stepHandled) {
        var bad = form.querySelector('.q.has-error');
        if (bad) {
          showStep(sections.indexOf(bad.closest('.step')), false);
          var control = bad.querySelector('input:not([type=hidden]), select, textarea');
          if (control) { control.focus(); }
        }
      }
    });
    // A form kept in the outbox is cleared for the next interview: back to the start.
    form.addEventListener('reset', function () {
      setTimeout(function () {
        apply();
        blocks.forEach(function (block) { show(block, null); });
        showStep(Math.max(neighbour(-1, 1), 0), false);
      }, 0);
    });
    showStep(Math.max(at, 0), false);
  }
}());

/* "Use my location": where the browser gives the phone's position (a secure context: the
   hub's https address), a button fills the answer and says how accurate it is, warning
   above the form's threshold; elsewhere a message says why not. Typing the latitude and
   longitude always works, with or without this script. A start-geopoint is taken as the
   page opens. */
(function () {
  'use strict';
  var tools = document.querySelectorAll('.geo[data-for]');
  if (!tools.length) { return; }

  function say(tool, message, warning) {
    var status = tool.querySelector('.geo-status');
    status.textContent = message;
    status.className = 'geo-status' + (warning ? ' geo-warning' : '');
  }

  function metres(value) { return String(Math.round(value * 10) / 10); }

  function fill(tool, position) {
    var field = document.getElementById(tool.getAttribute('data-for'));
    var c = position.coords;
    // ODK's answer: latitude longitude altitude accuracy.
    var point = [c.latitude, c.longitude, c.altitude || 0, Math.round(c.accuracy * 10) / 10].join(' ');
    if (tool.getAttribute('data-append') === 'yes' && field.value.trim() !== '') {
      field.value = field.value.replace(/\s+$/, '') + '\n' + point;
    } else { field.value = point; }
    field.dispatchEvent(new Event('input', { bubbles: true }));
    field.dispatchEvent(new Event('change', { bubbles: true }));
    var limit = Number(tool.getAttribute('data-warning-accuracy') || tool.getAttribute('data-capture-accuracy') || 0);
    var poor = limit > 0 && c.accuracy > limit;
    say(tool, tool.getAttribute(poor ? 'data-warning' : 'data-accuracy').replace('%(metres)s', metres(c.accuracy)), poor);
  }

  function capture(tool) {
    say(tool, tool.getAttribute('data-waiting'), false);
    navigator.geolocation.getCurrentPosition(function (position) { fill(tool, position); }, function (error) {
      say(tool, tool.getAttribute(error.code === 1 ? 'data-denied' : 'data-failed'), true);
    }, { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 });
  }

  Array.prototype.forEach.call(tools, function (tool) {
    tool.hidden = false;
    if (!window.isSecureContext) { say(tool, tool.getAttribute('data-insecure'), true); return; }
    if (!navigator.geolocation) { say(tool, tool.getAttribute('data-unsupported'), true); return; }
    var button = tool.querySelector('.geo-capture');
    button.hidden = false;
    button.addEventListener('click', function () { capture(tool); });
    var field = document.getElementById(tool.getAttribute('data-for'));
    if (tool.hasAttribute('data-auto') && field && field.value.trim() === '') { capture(tool); }
  });
}());

/* A hidden answer (appearance hidden-answer): typed unseen, with a box to show it, which
   only the script can do (without it the answer stays hidden). New repeat instances are
   copied from their template, so the box is offered there too. */
(function () {
  'use strict';
  var boxes = Array.prototype.slice.call(document.querySelectorAll('.reveal'));
  Array.prototype.forEach.call(document.querySelectorAll('template'), function (template) {
    boxes = boxes.concat(Array.prototype.slice.call(template.content.querySelectorAll('.reveal')));
  });
  boxes.forEach(function (box) { box.hidden = false; });
  document.addEventListener('change', function (event) {
    var toggle = event.target;
    if (!toggle.classList || !toggle.classList.contains('reveal-toggle')) { return; }
    var field = toggle.closest('.q').querySelector('.hidden-answer');
    if (field) { field.type = toggle.checked ? 'text' : 'password'; }
  });
}());
