// The one place that knows which browser runs Salespane (DESIGN §8): Firefox exposes the
// promise-based `browser` namespace, Chrome `chrome`. Everything else uses globalThis.salespaneBrowser.
// This base is all a content script gets (messaging, texts); the background and extension pages
// import adapter_trusted.js, which adds sign-in, storage and sealing. A classic script on
// purpose: content scripts cannot import modules.
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
    /** The browser's own namespace, for adapter_trusted.js only. */
    raw: api,
  });
})();
