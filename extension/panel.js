// The panel page, shown in an iframe beside the host page. Rust renders it (src/panel/); this
// file loads the WASM and forwards the background's state updates for this tab.
import './adapter_trusted.js';
import init, { renderPanel } from './core_ui.js';

const browserApi = globalThis.salespaneBrowser;
const ready = init({ module_or_path: 'core_ui_bg.wasm' });
const translate = (name, substitutions) => browserApi.message(name, substitutions);

document.documentElement.lang = browserApi.i18n.getUILanguage();

let latest = null;

function show(state) {
  latest = state;
  ready.then(() => {
    if (state === latest) renderPanel(state, translate);
  }).catch((error) => console.info('Salespane panel could not render:', error));
}

// The background posts the tab's state on connect and again whenever the tab's page changes.
// The browser stops an idle background, which closes the port: connect again, which wakes it.
function connect() {
  const port = browserApi.runtime.connect({ name: 'panel' });
  port.onMessage.addListener(show);
  port.onDisconnect.addListener(() => {
    if (browserApi.alive()) setTimeout(connect, 500);
  });
}

connect();
