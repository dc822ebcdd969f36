// Options page: the server and identity provider part (this file), then the profile and
// settings sections rendered by the Rust core (src/pages/, `renderSettingsSections`).
// Validation and storage happen in the background (src/settings.rs); this page only asks the
// browser for host permissions, which needs the user's click.
import './adapter_trusted.js';
import init, * as core from './core_ui.js';

const browserApi = globalThis.salespaneBrowser;
const form = document.getElementById('connection-form');
const status = document.getElementById('settings-status');
const fields = ['serverUrl', 'idp', 'issuer', 'idpName', 'clientId', 'loginHint'];

function say(name, detail, state) {
  status.textContent = browserApi.message(name) + (detail ? ` ${detail}` : '');
  status.setAttribute('data-state', state);
}

function fill(answer) {
  if (!answer || answer.type !== 'settings') return;
  for (const name of fields) form.elements[name].value = answer.settings[name] || '';
  form.elements.issuer.placeholder = answer.effectiveIssuer;
  form.elements.clientId.placeholder = answer.defaults.clientId || 'salespane-extension';
  form.elements.idpName.placeholder = answer.idpName;
}

/** `https://host/*` for each origin this machine's manifest does not already grant. */
function originsFor(settings) {
  const origins = new Set();
  const issuer = settings.issuer || `${settings.serverUrl.replace(/\/+$/, '')}/sfdc`;
  for (const text of [settings.serverUrl, issuer]) {
    try {
      const url = new URL(text);
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) origins.add(`${url.origin}/*`);
    } catch (_) { /* the background says what is wrong with it */ }
  }
  return [...origins];
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const settings = Object.fromEntries(fields.map((name) => [name, form.elements[name].value.trim()]));
  // permissions.request must be called in the click's turn, before anything is awaited.
  browserApi.requestOrigins(originsFor(settings))
    .catch(() => false)
    .then((granted) => {
      if (!granted) {
        say('optionsPermissionRefused', '', 'error');
        return null;
      }
      return browserApi.send({ v: 1, type: 'saveSettings', settings });
    })
    .then((answer) => {
      if (!answer) return;
      if (answer.type === 'settings') {
        fill(answer);
        say('optionsSaved', '', 'saved');
      } else {
        say('optionsNotSaved', answer.message || '', 'error');
      }
    });
});

browserApi.send({ v: 1, type: 'getSettings' }).then(fill);

init({ module_or_path: 'core_ui_bg.wasm' })
  .then(() => {
    if (typeof core.renderSettingsSections === 'function') {
      core.renderSettingsSections(document.getElementById('profile-settings'));
    }
  })
  .catch((error) => console.error('Salespane options could not start:', error));
