// Fills every [data-i18n] element of a static extension page with its _locales message.
(function () {
  'use strict';
  const browserApi = globalThis.salespaneBrowser;
  document.documentElement.lang = browserApi.i18n.getUILanguage();
  for (const element of document.querySelectorAll('[data-i18n]')) {
    const text = browserApi.message(element.getAttribute('data-i18n'));
    if (text) element.textContent = text;
  }
})();
