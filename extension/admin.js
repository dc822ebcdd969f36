// Admin pages: loads the WASM core, which checks the user is an administrator and renders
// every section (src/pages/admin.rs).
import './adapter.js';
import init, { renderAdmin } from './salespane.js';

init({ module_or_path: 'salespane_bg.wasm' })
  .then(() => renderAdmin())
  .catch((error) => console.error('Salespane admin could not start:', error));
