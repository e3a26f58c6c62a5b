// Reports, in the page itself, whether the style sheet applied and the logo
// decoded: a headless browser's DOM dump then shows "css=ok img=ok".
(function () {
  'use strict';

  function report() {
    var header = document.querySelector('header');
    var logo = document.getElementById('logo');
    var status = document.getElementById('status');
    var css = getComputedStyle(header).backgroundColor === 'rgb(43, 122, 120)';
    var img = logo.complete && logo.naturalWidth > 0;

    status.textContent = 'css=' + (css ? 'ok' : 'missing') +
      ' img=' + (img ? 'ok' : 'missing');
    if (css && img) {
      status.className = 'ok';
    }
  }

  if (document.readyState === 'complete') {
    report();
  } else {
    window.addEventListener('load', report);
  }
})();
