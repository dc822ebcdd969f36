// Admin pages: loads the WASM core, which checks the user is an administrator and renders
// every section (src/pages/admin.rs).
import './adapter_trusted.js';
import init, { renderAdmin } from './core_ui.js';

init({ module_or_path: 'core_ui_bg.wasm' })
  .then(() => renderAdmin())
  .catch((error) => console.error('Salespane admin could not start:', error));
