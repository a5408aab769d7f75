// PIK Dashboard: the only script. Copy buttons for one-time secrets; everything else works without it.
'use strict';

function copyText(input) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(input.value);
  input.focus();
  input.select();
  return document.execCommand('copy') ? Promise.resolve() : Promise.reject(new Error('copy failed'));
}

document.addEventListener('click', function (event) {
  var button = event.target instanceof Element ? event.target.closest('[data-copy-target]') : null;
  if (!button) return;
  var input = document.getElementById(button.getAttribute('data-copy-target'));
  var panel = button.closest('section');
  var status = panel ? panel.querySelector('[data-copy-status]') : null;
  if (!input) return;
  copyText(input).then(
    function () {
      button.textContent = 'Copied';
      if (status) status.textContent = 'Copied to the clipboard.';
      setTimeout(function () { button.textContent = 'Copy'; }, 2000);
    },
    function () {
      input.focus();
      input.select();
      if (status) status.textContent = 'Press Ctrl+C (or ⌘C) to copy the selected text.';
    },
  );
});

// A freshly shown secret gets focus, so keyboard and screen-reader users land on it.
document.addEventListener('DOMContentLoaded', function () {
  var panel = document.getElementById('new-key') || document.getElementById('new-secret') || document.getElementById('invite');
  if (panel) panel.focus();
});
