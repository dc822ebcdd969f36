// Onboarding page: loads the WASM core, which renders every step (src/pages/onboarding.rs).
import './adapter_trusted.js';
import init, { renderOnboarding } from './core_ui.js';

init({ module_or_path: 'core_ui_bg.wasm' })
  .then(() => renderOnboarding())
  .catch((error) => console.error('Salespane onboarding could not start:', error));
