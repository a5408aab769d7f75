// The hosted payment page's only script (CSP: script-src 'self'): copy buttons, and the status that updates itself.
(function () {
  'use strict';
  var texts = {
    awaiting_funds: 'Waiting for your payment',
    underpaid: 'Part of the amount has arrived',
    paid: 'Payment received',
    expired: 'This payment link has expired',
    cancelled: 'This payment link was cancelled',
  };

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('[data-copy]') : null;
    if (!button) return;
    var value = button.getAttribute('data-copy');
    var done = function (label) {
      button.textContent = label;
      setTimeout(function () { button.textContent = 'Copy'; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(value).then(function () { done('Copied'); }, function () { done('Select it'); });
    } else {
      done('Select it');
    }
  });

  var panel = document.getElementById('pay-status');
  if (!panel) return;

  function redirectSoon(url) {
    if (!url) return;
    setTimeout(function () { window.location.assign(url); }, 4000);
  }

  var url = panel.getAttribute('data-status-url');
  if (!url) {
    // An ended page: a paid link with a redirect_url takes the payer back.
    redirectSoon(panel.getAttribute('data-redirect'));
    return;
  }

  var stateText = document.getElementById('pay-state-text');
  var detail = document.getElementById('pay-state-detail');
  var finished = false;

  function show(status) {
    if (!status || !texts[status.state]) return;
    panel.setAttribute('data-state', status.state);
    document.body.setAttribute('data-state', status.state);
    stateText.textContent = texts[status.state];
    if (status.state === 'underpaid' && status.amount_received) {
      detail.textContent = 'Received ' + status.amount_received + ' ' + status.currency + '. Send the rest with the same reference.';
    } else if (status.state === 'paid') {
      detail.textContent = status.redirect_url ? 'Thank you. Taking you back in a few seconds…' : 'Thank you. You can close this page.';
    } else if (status.state === 'expired' || status.state === 'cancelled') {
      detail.textContent = 'It can no longer be paid. Do not send money to these details.';
    }
    if (status.state === 'paid' || status.state === 'expired' || status.state === 'cancelled') {
      finished = true;
      if (status.state === 'paid') redirectSoon(status.redirect_url);
    }
  }

  function poll() {
    if (finished) return;
    fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(show, function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { if (!finished) setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();
