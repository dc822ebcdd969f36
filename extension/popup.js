// The toolbar popup: Rust renders it (src/popup/) from what the background says; this file
// only loads the WASM. The popup never sees a token.
import './adapter.js';
import init, { startPopup } from './salespane.js';

document.documentElement.lang = globalThis.salespaneBrowser.i18n.getUILanguage();
init({ module_or_path: 'salespane_bg.wasm' })
  .then(() => startPopup())
  .catch((error) => console.error('Salespane popup could not start:', error));
