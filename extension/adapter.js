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
    // Used by the background's sign-in (src/auth/session.rs) and the extension pages. Content
    // scripts get these names too but cannot use them: they have no identity API, and the
    // background keeps its tokens in storage.session, which content scripts cannot read.
    /** The redirect URI the browser intercepts for this extension (differs per browser). */
    redirectUrl: () => api.identity.getRedirectURL(),
    /** Opens the identity provider's page; resolves with the URL it redirected to. */
    launchWebAuthFlow: (url, interactive) => api.identity.launchWebAuthFlow({ url, interactive }),
    /** `storage.<area>` value under `key`, or undefined. */
    storageGet: (area, key) => api.storage[area].get(key).then((items) => items[key]),
    storageSet: (area, key, value) => api.storage[area].set({ [key]: value }),
    storageRemove: (area, keys) => api.storage[area].remove(keys),
    randomBytes: (count) => globalThis.crypto.getRandomValues(new Uint8Array(count)),
    /** Asks for host permissions; must run inside a user gesture (a click handler). */
    requestOrigins: (origins) => (origins.length === 0
      ? Promise.resolve(true)
      : api.permissions.request({ origins })),
    openPage: (path) => api.tabs.create({ url: api.runtime.getURL(path) }),
    openOptions: () => api.runtime.openOptionsPage(),
    /** False once the extension was reloaded or removed under a still-open page. */
    alive: () => {
      try { return Boolean(api.runtime && api.runtime.id); } catch (_) { return false; }
    },
  });
})();
