// Onboarding page: loads the WASM core, which renders every step (src/pages/onboarding.rs).
import './adapter.js';
import init, { renderOnboarding } from './salespane.js';

init({ module_or_path: 'salespane_bg.wasm' })
  .then(() => renderOnboarding())
  .catch((error) => console.error('Salespane onboarding could not start:', error));
