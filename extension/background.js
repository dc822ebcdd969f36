// Background entry point (Chrome: module service worker; Firefox: module event page). It only
// wires browser events to the Rust core; every decision is made in Rust (src/router.rs).
// Listeners are registered synchronously at top level, each waits for the WASM to be ready.
import './adapter_trusted.js';
import init, * as core from './core_background.js';

const browserApi = globalThis.salespaneBrowser;
const ready = init({ module_or_path: 'core_background_bg.wasm' });
// The access token lives in storage.session: keep it from content scripts even if a default
// changes (Chrome's default is already trusted contexts; Firefox never exposes it to them).
browserApi.restrictSessionStorage();

/** Open panel ports by tab id: the panel hears about new observations of its tab at once. */
const panelPorts = new Map();

function answer(message, sender) {
  return core.handleMessage(
    JSON.stringify(message === undefined ? null : message),
    sender && sender.tab ? sender.tab.id : undefined,
    sender ? sender.frameId : undefined,
    sender ? sender.url : undefined,
  );
}

function panelState(port) {
  return answer({ v: 1, type: 'panelState' }, port.sender);
}

function notifyPanels(tabId) {
  for (const port of panelPorts.get(tabId) || []) port.postMessage(panelState(port));
}

browserApi.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Most answers are immediate; sign-in and API calls (extension pages only) are promises.
  ready.then(() => answer(message, sender)).then((response) => {
    sendResponse(response);
    if (response && response.type === 'ack' && response.changed && sender.tab) {
      notifyPanels(sender.tab.id);
    }
  }).catch((error) => {
    sendResponse({ v: 1, type: 'error', code: 'unavailable', message: String(error) });
  });
  return true;
});

browserApi.runtime.onConnect.addListener((port) => {
  if (port.name !== 'panel' || !port.sender || !port.sender.tab) {
    port.disconnect();
    return;
  }
  const tabId = port.sender.tab.id;
  if (!panelPorts.has(tabId)) panelPorts.set(tabId, new Set());
  panelPorts.get(tabId).add(port);
  port.onDisconnect.addListener(() => {
    const ports = panelPorts.get(tabId);
    if (ports) {
      ports.delete(port);
      if (ports.size === 0) panelPorts.delete(tabId);
    }
  });
  ready.then(() => {
    const state = panelState(port);
    port.postMessage(state);
    // Nothing known for this tab: this background was restarted since the page last reported.
    if (state && state.type === 'panelState' && !state.observation) {
      browserApi.tabs.sendMessage(tabId, core.reobserveMessage(), { frameId: 0 }).catch(() => {});
    }
  });
});

browserApi.tabs.onRemoved.addListener((tabId) => {
  panelPorts.delete(tabId);
  ready.then(() => core.forgetTab(tabId));
});
