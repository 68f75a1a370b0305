/* Photos, recordings and files on the phone. A photo larger than the form's max-pixels is
   drawn again at that size (JPEG, quality 0.8) before it leaves the phone, so a 3 MB camera
   photo is sent as a few hundred kB; a small preview shows what will be sent; a signature or
   drawing is made with the finger on a pad, whose picture fills the file input, and a photo
   whose question says `annotate` is shown on a pad of its own to draw on. The hub
   cleans and makes every photo smaller again whatever it gets: a browser that cannot replace
   a chosen file (no DataTransfer) sends the original. Without this script the plain file
   input works as it is. Loaded only by pages with a media question. */
(function () {
  'use strict';
  var QUALITY = 0.8, DEFAULT_PIXELS = 1024;

  function canReplace() {
    try { return typeof DataTransfer === 'function' && !!new DataTransfer().items; } catch (e) { return false; }
  }

  function setFile(input, file) {
    var transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
  }

  // The hub's pages allow pictures from the hub and data: addresses only (no blob:).
  function asDataUrl(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(file);
    });
  }

  function preview(input, file) {
    var holder = input.parentNode.querySelector('.media-preview');
    if (!holder) { return Promise.resolve(); }
    var img = holder.querySelector('img');
    if (!file || !/^image\//.test(file.type)) { holder.hidden = true; img.removeAttribute('src'); return Promise.resolve(); }
    return asDataUrl(file).then(function (url) { img.src = url; holder.hidden = false; }, function () {});
  }

  // The photo with its longest side at most `limit` pixels, or the file itself when it is
  // small enough or cannot be read. Drawing keeps only the pixels: no EXIF leaves either.
  function smaller(file, limit) {
    return asDataUrl(file).then(function (url) { return new Promise(function (resolve) {
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, limit / Math.max(img.naturalWidth, img.naturalHeight));
        if (scale >= 1) { resolve(file); return; }
        var canvas = document.createElement('canvas');
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          resolve(new File([blob], 'photo.jpg', { type: 'image/jpeg' }));
        }, 'image/jpeg', QUALITY);
      };
      img.onerror = function () { resolve(file); };
      img.src = url;
    }); });
  }

  function photo(input) {
    var limit = Number(input.getAttribute('data-max-pixels')) || DEFAULT_PIXELS;
    var replace = canReplace();
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      if (!file) { preview(input, null); return; }
      input.setAttribute('data-ready', 'no');
      var done = function (chosen) {
        if (chosen !== file && replace) { setFile(input, chosen); } // fires no change event
        var shown = input.hasAttribute('data-annotate') && replace && window.HTMLCanvasElement
          ? preview(input, null).then(function () { return annotate(input, chosen); })
          : preview(input, chosen);
        shown.then(function () { input.setAttribute('data-ready', 'yes'); });
      };
      if (!replace || !/^image\/(jpeg|png|webp)$/.test(file.type)) { done(file); return; }
      smaller(file, limit).then(done, function () { done(file); });
    });
  }

  // Strokes with a finger, a pen or a mouse (pointer events) on a canvas; `stroked` is
  // called after each stroke.
  function strokes(canvas, context, stroked) {
    var drawing = false, drawn = false;
    canvas.style.width = '100%'; canvas.style.maxWidth = '600px';
    canvas.style.border = '1px solid currentColor'; canvas.style.touchAction = 'none';
    function at(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width,
              (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener('pointerdown', function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var p = at(event);
      context.beginPath(); context.moveTo(p[0], p[1]);
      event.preventDefault();
    });
    canvas.addEventListener('pointermove', function (event) {
      if (!drawing) { return; }
      var p = at(event);
      context.lineTo(p[0], p[1]); context.stroke();
      drawn = true;
    });
    function stop() {
      if (!drawing) { return; }
      drawing = false;
      if (drawn) { drawn = false; stroked(); }
    }
    canvas.addEventListener('pointerup', stop);
    canvas.addEventListener('pointercancel', stop);
  }

  // The canvas's picture in the file input, which the form posts as any photo.
  function keep(input, canvas, name, type) {
    canvas.toBlob(function (blob) {
      if (!blob) { return; }
      setFile(input, new File([blob], name, { type: type }));
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, type, QUALITY);
  }

  function clearButton(input) {
    var clear = document.createElement('button');
    clear.type = 'button';
    clear.textContent = input.getAttribute('data-pad-clear');
    return clear;
  }

  function padCanvas(input, width, height) {
    var canvas = document.createElement('canvas');
    canvas.width = width; canvas.height = height;
    canvas.className = 'media-pad';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', input.getAttribute('data-pad-label'));
    return canvas;
  }

  // A pad to sign or draw on; each stroke puts the pad's picture (PNG) in the file input.
  function pad(input) {
    var canvas = padCanvas(input, 600, 240);
    canvas.style.background = '#fff';
    var clear = clearButton(input);
    var context = canvas.getContext('2d');
    context.lineWidth = 3; context.lineCap = 'round'; context.strokeStyle = '#000';
    strokes(canvas, context, function () { keep(input, canvas, 'drawing.png', 'image/png'); });
    clear.addEventListener('click', function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      input.value = '';
    });
    input.hidden = true;
    var hint = input.parentNode.querySelector('.media-pad-hint');
    if (hint) { hint.hidden = true; }
    input.parentNode.insertBefore(clear, input.nextSibling);
    input.parentNode.insertBefore(canvas, clear);
  }

  // `annotate`: the photo (already made smaller) on a pad, to mark on it in red; each
  // stroke puts the marked photo (JPEG) in the file input, and Clear puts back the photo.
  function annotate(input, file) {
    var old = input.parentNode.querySelector('.media-annotate');
    if (old) { old.parentNode.removeChild(old); }
    return asDataUrl(file).then(function (url) { return new Promise(function (resolve) {
      var img = new Image();
      img.onload = function () {
        var box = document.createElement('div');
        box.className = 'media-annotate';
        var canvas = padCanvas(input, img.naturalWidth, img.naturalHeight);
        var context = canvas.getContext('2d');
        context.drawImage(img, 0, 0);
        context.lineWidth = Math.max(3, Math.round(canvas.width / 120));
        context.lineCap = 'round'; context.strokeStyle = '#e00000';
        strokes(canvas, context, function () { keep(input, canvas, 'photo.jpg', 'image/jpeg'); });
        var clear = clearButton(input);
        clear.addEventListener('click', function () {
          context.drawImage(img, 0, 0);
          setFile(input, file);
        });
        box.appendChild(canvas); box.appendChild(clear);
        input.parentNode.insertBefore(box, input.nextSibling);
        resolve();
      };
      img.onerror = function () { resolve(); };
      img.src = url;
    }); }, function () {});
  }

  function setUp(root) {
    Array.prototype.forEach.call(root.querySelectorAll('input.media-file:not([data-media-ready])'), function (input) {
      input.setAttribute('data-media-ready', '');
      if (input.hasAttribute('data-pad') && canReplace() && window.HTMLCanvasElement) { pad(input); return; }
      if (input.getAttribute('data-media') === 'image') { photo(input); }
    });
  }

  setUp(document);
  // A repeat's new instance brings its own inputs (form.js copies them from a template).
  document.addEventListener('click', function () { setTimeout(function () { setUp(document); }, 0); });
}());
