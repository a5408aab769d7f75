// PIK Dashboard: the only script. Copy buttons for one-time secrets and ids, and column labels for tables on narrow
// screens; everything else works without it.
'use strict';

function copyText(input) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(input.value);
  input.focus();
  input.select();
  return document.execCommand('copy') ? Promise.resolve() : Promise.reject(new Error('copy failed'));
}

/** Copies a string (a Copy button next to an id): through a hidden field when the clipboard API is unavailable. */
function copyString(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  var field = document.createElement('textarea');
  field.value = text;
  field.setAttribute('readonly', '');
  field.style.position = 'fixed';
  field.style.opacity = '0';
  document.body.appendChild(field);
  field.select();
  var copied = document.execCommand('copy');
  document.body.removeChild(field);
  return copied ? Promise.resolve() : Promise.reject(new Error('copy failed'));
}

document.addEventListener('click', function (event) {
  var idButton = event.target instanceof Element ? event.target.closest('[data-copy-text]') : null;
  if (!idButton) return;
  copyString(idButton.getAttribute('data-copy-text')).then(
    function () {
      idButton.textContent = 'Copied';
      setTimeout(function () { idButton.textContent = 'Copy'; }, 2000);
    },
    function () {
      idButton.textContent = 'Copy failed';
    },
  );
});

// On a narrow screen a table's rows become stacked cards (app.css); each cell is labelled with its column's heading.
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('table.table').forEach(function (table) {
    var headings = Array.prototype.map.call(table.querySelectorAll('thead th'), function (th) { return th.textContent.trim(); });
    table.querySelectorAll('tbody tr').forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        if (headings[index] && !cell.hasAttribute('data-label')) cell.setAttribute('data-label', headings[index]);
      });
    });
  });
});

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
