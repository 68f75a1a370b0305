/* Live skip logic: shows and hides questions as answers change, using the same
   expressions the hub checks when the page is sent. Without this script the hub
   applies the same rules between pages, so nothing depends on it. */
(function () {
  'use strict';
  var form = document.querySelector('form.record');
  if (!form || !window.FormExpressions) { return; }
  var E = window.FormExpressions;
  var contextNode = document.getElementById('context');
  var earlier = contextNode ? JSON.parse(contextNode.textContent || '{}') : {};
  var blocks = Array.prototype.slice.call(form.querySelectorAll('.q[data-name]'));
  var compiled = {};

  function valueOf(block) {
    var name = block.getAttribute('data-name');
    var type = block.getAttribute('data-type');
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var i, picked = [];
    if (type === 'select_multiple') {
      for (i = 0; i < inputs.length; i++) { if (inputs[i].checked) { picked.push(inputs[i].value); } }
      return picked;
    }
    var raw = '';
    for (i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === 'radio' || input.type === 'checkbox')) {
        if (input.checked) { raw = input.value; }
      } else { raw = input.value; }
    }
    raw = String(raw).trim();
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
      if (block.getAttribute('data-type') !== 'note' && !block.hidden) {
        values[block.getAttribute('data-name')] = valueOf(block);
      }
    });
    return values;
  }

  function relevant(block, values) {
    var source = block.getAttribute('data-relevant');
    if (!source) { return true; }
    try {
      if (!compiled[source]) { compiled[source] = E.parse(source); }
      return E.toBoolean(compiled[source].evaluate({ values: values, now: new Date() }));
    } catch (error) {
      return true; // the hub decides when the page is sent
    }
  }

  function apply() {
    // Twice, so a question that depends on one just shown or hidden settles.
    for (var pass = 0; pass < 2; pass++) {
      var values = currentValues();
      blocks.forEach(function (block) {
        var show = relevant(block, values);
        block.hidden = !show;
        var shown = block.querySelector('input[name="_shown"]');
        if (shown) { shown.disabled = !show; }
      });
    }
  }

  form.addEventListener('change', apply);
  form.addEventListener('input', apply);
  apply();
  var problems = document.getElementById('problems');
  if (problems) { problems.focus(); }
}());
