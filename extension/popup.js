// The toolbar popup: Rust renders it (src/popup/) from what the background says; this file
// only loads the WASM. The popup never sees a token.
import './adapter_trusted.js';
import init, { startPopup } from './core_ui.js';

document.documentElement.lang = globalThis.salespaneBrowser.i18n.getUILanguage();
init({ module_or_path: 'core_ui_bg.wasm' })
  .then(() => startPopup())
  .catch((error) => console.error('Salespane popup could not start:', error));
