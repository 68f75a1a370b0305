/* Live skip logic and checks: shows and hides questions as answers change and checks
   answers (required, type, range, constraint) with the same expressions and messages the
   hub uses when the page is sent. Without this script the hub applies the same rules
   between pages, so nothing depends on it. On a whole form in one page (data-steps), it
   also steps through the sections one at a time. */
(function () {
  'use strict';
  var form = document.querySelector('form.record');
  if (!form || !window.FormExpressions) { return; }
  var E = window.FormExpressions;
  var contextNode = document.getElementById('context');
  var earlier = contextNode ? JSON.parse(contextNode.textContent || '{}') : {};
  var blocks = Array.prototype.slice.call(form.querySelectorAll('.q[data-name]'));
  var compiled = {};
  var INTEGER = /^[+-]?\d{1,15}$/;
  var DECIMAL = /^[+-]?[\d\s.,\u00a0\u202f']+$/;

  function inputsOf(name) { return form.querySelectorAll('[name="' + name + '"]'); }

  function rawOf(block) {
    var inputs = inputsOf(block.getAttribute('data-name'));
    var raw = '';
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === 'radio' || input.type === 'checkbox') {
        if (input.checked) { raw = input.value; }
      } else { raw = input.value; }
    }
    return String(raw).trim();
  }

  function valueOf(block) {
    var type = block.getAttribute('data-type');
    if (type === 'select_multiple') {
      var inputs = inputsOf(block.getAttribute('data-name')), picked = [];
      for (var i = 0; i < inputs.length; i++) { if (inputs[i].checked) { picked.push(inputs[i].value); } }
      return picked;
    }
    var raw = rawOf(block);
    if ((type === 'integer' || type === 'decimal' || type === 'range') && raw !== '') {
      var n = Number(raw.replace(',', '.'));
      return isNaN(n) ? raw : n;
    }
    if (type === 'date' && /^\d{4}-\d{2}$/.test(raw)) { return raw + '-01'; }
    return raw;
  }

  function currentValues() {
    var values = {};
    var key;
    for (key in earlier) { if (Object.prototype.hasOwnProperty.call(earlier, key)) { values[key] = earlier[key]; } }
    blocks.forEach(function (block) {
      var type = block.getAttribute('data-type'), name = block.getAttribute('data-name');
      if (type === 'calculate') {
        // Computed in form order, so a later calculation can use an earlier one.
        delete values[name];
        try {
          var value = relevant(block, values) ? stored(calculated(block, values)) : null;
          if (value !== null) { values[name] = value; }
        } catch (error) { /* the hub computes it when the page is sent */ }
      } else if (type !== 'note' && !block.hidden) {
        values[name] = valueOf(block);
      }
    });
    return values;
  }

  // As the hub stores a calculation (validation._stored): true/false as text, dates as ISO
  // text, no value for an empty text or a number that is not finite.
  function stored(value) {
    if (typeof value === 'boolean') { return value ? 'true' : 'false'; }
    if (typeof value === 'number') { return isFinite(value) ? value : null; }
    var text = E.toText(value);
    return text === '' ? null : text;
  }

  function calculated(block, values) {
    var source = block.getAttribute('data-calculation');
    if (!compiled[source]) { compiled[source] = E.parse(source); }
    return compiled[source].evaluate({ values: values, now: new Date() });
  }

  function evaluate(source, values, current) {
    if (!compiled[source]) { compiled[source] = E.parse(source); }
    return E.toBoolean(compiled[source].evaluate({ values: values, current: current, now: new Date() }));
  }

  function holds(node, values) {
    var source = node && node.getAttribute('data-relevant');
    if (!source) { return true; }
    try { return evaluate(source, values); } catch (error) {
      return true; // the hub decides when the page is sent
    }
  }

  function relevant(block, values) {
    return holds(block.closest('.step'), values) && holds(block, values);
  }

  function apply() {
    // Twice, so a question that depends on one just shown or hidden settles.
    for (var pass = 0; pass < 2; pass++) {
      var values = currentValues();
      blocks.forEach(function (block) {
        if (block.getAttribute('data-type') === 'calculate') { return; } // never shown
        var show = relevant(block, values);
        block.hidden = !show;
        var shown = block.querySelector('input[name="_shown"]');
        if (shown) { shown.disabled = !show; }
        if (show && block.hasAttribute('data-choice-filter')) { offer(block, values); }
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
      try { keep = E.toBoolean(filter.evaluate({ values: values, now: new Date(), choice: choice })); } catch (error) { /* the hub decides */ }
      var holder = item.tagName === 'OPTION' ? item : item.closest('label');
      holder.hidden = !keep;
      item.disabled = !keep;
      if (!keep) { item.checked = false; item.selected = false; }
    });
  }

  function typeProblem(block, raw) {
    var type = block.getAttribute('data-type');
    if (raw === '' || !block.hasAttribute('data-type-message')) { return null; }
    var ok = type === 'integer' ? INTEGER.test(raw)
      : type === 'decimal' ? DECIMAL.test(raw) && /\d/.test(raw)
      : type === 'time' ? /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$/.test(raw)
      : type === 'datetime' ? /^\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$/.test(raw)
      : /^\d{4}-\d{2}(-\d{2})?$/.test(raw);
    return ok ? null : block.getAttribute('data-type-message');
  }

  function problemOf(block, values) {
    if (block.hidden || block.getAttribute('data-type') === 'note') { return null; }
    var value = valueOf(block);
    var empty = value === '' || (Array.isArray(value) && value.length === 0);
    if (empty) { return block.getAttribute('data-required'); }
    var typed = typeProblem(block, rawOf(block));
    if (typed) { return typed; }
    var low = block.getAttribute('data-min'), high = block.getAttribute('data-max');
    if ((low && value < Number(low)) || (high && value > Number(high))) {
      return block.getAttribute('data-range-message');
    }
    var constraint = block.getAttribute('data-constraint');
    try {
      if (constraint && !evaluate(constraint, values, value)) {
        return block.getAttribute('data-constraint-message');
      }
    } catch (error) { return null; }
    return null;
  }

  function show(block, message) {
    var name = block.getAttribute('data-name');
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

  // A changed answer is checked at once, but an empty one only when the page is sent.
  form.addEventListener('change', function (event) {
    apply();
    var block = event.target.closest && event.target.closest('.q[data-name]');
    if (block && rawOf(block) !== '') { show(block, problemOf(block, currentValues())); }
  });
  form.addEventListener('input', apply);
  var lastButton = null; // event.submitter is missing on older phones
  form.addEventListener('click', function (event) {
    if (event.target.type === 'submit') { lastButton = event.target; }
  });
  form.addEventListener('submit', function (event) {
    var button = event.submitter || lastButton;
    var action = button ? button.value : 'next';
    if (action === 'draft' || action === 'back') { return; }
    if (!check(form)) { event.preventDefault(); }
  });
  apply();
  window.FormChecks = { check: check, apply: apply };
  var problems = document.getElementById('problems');
  if (problems) { problems.focus(); }
  if (form.hasAttribute('data-steps')) { steps(); }

  function steps() {
    var sections = Array.prototype.slice.call(form.querySelectorAll('.step'));
    var next = form.querySelector('.step-next'), back = form.querySelector('.step-back');
    var finish = form.querySelector('.step-finish');
    var progress = form.getAttribute('data-progress');
    var firstError = form.querySelector('.q.has-error');
    var at = firstError ? sections.indexOf(firstError.closest('.step')) : 0;

    function open(index) {
      return sections[index].querySelector('.q[data-name]:not([hidden])') !== null;
    }
    function neighbour(from, step) {
      for (var i = from + step; i >= 0 && i < sections.length; i += step) { if (open(i)) { return i; } }
      return -1;
    }
    function showStep(index, focus) {
      at = index;
      var total = sections.filter(function (s, i) { return open(i); }).length;
      var number = sections.slice(0, index + 1).filter(function (s, i) { return open(i); }).length;
      sections.forEach(function (section, i) { section.hidden = i !== index; });
      sections[index].querySelector('.progress').textContent =
        progress.replace('%(num)s', String(number)).replace('%(total)s', String(total));
      // Before a required answer that may open later sections, the way on is Next.
      var waiting = blocks.some(function (block) {
        var value = sections[index].contains(block) && !block.hidden &&
          block.hasAttribute('data-required') && valueOf(block);
        return value === '' || (Array.isArray(value) && value.length === 0);
      });
      var last = neighbour(index, 1) === -1 && !(waiting && index < sections.length - 1);
      next.hidden = last;
      finish.hidden = !last;
      back.hidden = neighbour(index, -1) === -1;
      if (focus) { sections[index].querySelector('h1').focus(); }
    }
    next.addEventListener('click', function () {
      if (!check(sections[at])) { return; }
      var later = neighbour(at, 1);
      showStep(later === -1 ? at : later, later !== -1);
    });
    back.addEventListener('click', function () { showStep(Math.max(neighbour(at, -1), 0), true); });
    // Answers can open or close later sections: the buttons follow.
    form.addEventListener('change', function () { showStep(at, false); });
    form.addEventListener('submit', function (event) {
      if (event.defaultPrevented) {
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
