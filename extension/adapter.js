// The one place that knows which browser runs Salespane (DESIGN §8): Firefox exposes the
// promise-based `browser` namespace, Chrome `chrome`. Everything else uses globalThis.salespaneBrowser.
// A classic script on purpose: content scripts cannot import modules, while the background and
// extension pages load it with a side-effect `import './adapter.js'`.
(function () {
  'use strict';
  if (globalThis.salespaneBrowser) return;
  const isFirefox = typeof globalThis.browser === 'object' && globalThis.browser !== null &&
    typeof globalThis.browser.runtime === 'object';
  const api = isFirefox ? globalThis.browser : globalThis.chrome;
  globalThis.salespaneBrowser = Object.freeze({
    name: isFirefox ? 'firefox' : 'chrome',
    runtime: api.runtime,
    tabs: api.tabs,
    i18n: api.i18n,
    /** Sends a message to the background; resolves with its answer (MV3 promises in both). */
    send: (message) => api.runtime.sendMessage(message),
    /** A `_locales` message, or '' when missing. */
    message: (name, substitutions) => api.i18n.getMessage(name, substitutions),
    url: (path) => api.runtime.getURL(path),
    /** False once the extension was reloaded or removed under a still-open page. */
    alive: () => {
      try { return Boolean(api.runtime && api.runtime.id); } catch (_) { return false; }
    },
  });
})();
