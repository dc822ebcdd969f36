// Salespane content script: the hands (DESIGN §2). It asks the background for this host's spec,
// runs the spec's selectors, reports what it sees and places the panel iframe. No business
// logic and no tokens live here; page text is only read, never written back as markup.
(function () {
  'use strict';
  const browserApi = globalThis.salespaneBrowser;
  if (!browserApi || globalThis.salespaneHands) return;
  globalThis.salespaneHands = true;

  const V = 1;
  const MAX_TEXT = 1000;
  const composeKeys = new WeakMap();
  const noted = new Set();
  let nextKey = 1;
  let spec = null;
  let panel = null;
  let lastReport = '';
  let scheduled = false;
  let observer = null;
  let timer = 0;

  // A quiet console line, once per distinct problem: a missing hook must never break the page.
  function note(problem) {
    if (noted.has(problem)) return;
    noted.add(problem);
    console.info('Salespane: ' + problem);
  }

  function queryFirst(root, selectors) {
    for (const selector of selectors) {
      try {
        const found = root.querySelector(selector);
        if (found) return found;
      } catch (_) {
        note('selector not understood by this browser: ' + selector);
      }
    }
    return null;
  }

  function queryAll(root, selectors) {
    for (const selector of selectors) {
      try {
        const found = root.querySelectorAll(selector);
        if (found.length) return Array.from(found);
      } catch (_) {
        note('selector not understood by this browser: ' + selector);
      }
    }
    return [];
  }

  function text(element) {
    if (!element) return '';
    const raw = 'value' in element && typeof element.value === 'string' ? element.value : element.textContent;
    return (raw || '').replace(/\s+/g, ' ').trim().slice(0, MAX_TEXT);
  }

  // Compose roots: every root selector's matches, in order, skipping one already found (or
  // around one found); then anchors (subject fields) no root holds, up to their smallest
  // ancestor that also holds a body.
  function findComposes(hooks) {
    const roots = [];
    const overlaps = (el) => roots.some((r) => r === el || r.contains(el) || el.contains(r));
    for (const selector of hooks.root) {
      let found = [];
      try { found = document.querySelectorAll(selector); } catch (_) {
        note('selector not understood by this browser: ' + selector);
      }
      for (const el of found) if (!overlaps(el)) roots.push(el);
    }
    for (const anchor of queryAllEvery(document, hooks.anchors)) {
      if (roots.some((r) => r.contains(anchor))) continue;
      let el = anchor.parentElement;
      for (let depth = 0; el && el !== document.body && depth < 15; depth++, el = el.parentElement) {
        if (queryFirst(el, hooks.body)) {
          if (!overlaps(el)) roots.push(el);
          break;
        }
      }
    }
    return roots;
  }

  function queryAllEvery(root, selectors) {
    const out = [];
    for (const selector of selectors) {
      try {
        for (const el of root.querySelectorAll(selector)) if (!out.includes(el)) out.push(el);
      } catch (_) { /* reported by queryFirst */ }
    }
    return out;
  }

  function keyOf(root) {
    let key = composeKeys.get(root);
    if (!key) {
      key = 'compose-' + nextKey++;
      composeKeys.set(root, key);
    }
    if (root.getAttribute('data-salespane-compose') !== key) root.setAttribute('data-salespane-compose', key);
    return key;
  }

  function recipients(root, field) {
    const out = [];
    for (const chip of queryAll(root, field.chips)) {
      for (const attribute of field.addressAttributes) {
        const value = attribute === 'value' && 'value' in chip ? chip.value : chip.getAttribute(attribute);
        if (value && value.trim()) {
          // Raw fields (older Gmail) may hold several comma-separated addresses.
          for (const part of value.split(/[,;]/)) {
            const address = part.trim().slice(0, 320);
            if (address && !out.includes(address)) out.push(address);
          }
          break;
        }
      }
    }
    return out.slice(0, 500);
  }

  function readCompose(root, hooks) {
    const subject = queryFirst(root, hooks.subject);
    if (!subject) note(spec.host + ': no subject field found in a compose window');
    if (!queryFirst(root, hooks.body)) note(spec.host + ': no message body found in a compose window');
    if (!queryFirst(root, hooks.send)) note(spec.host + ': no send button found in a compose window');
    return {
      key: keyOf(root),
      to: recipients(root, hooks.to),
      cc: recipients(root, hooks.cc),
      bcc: recipients(root, hooks.bcc),
      subject: text(subject),
    };
  }

  function placePanel() {
    const slot = queryFirst(document, spec.panel.containers);
    if (!slot) {
      note(spec.host + ': no place for the panel on this page, so it is not shown');
      return;
    }
    for (const stray of document.querySelectorAll('iframe[data-salespane-panel]')) {
      if (stray !== panel) stray.remove();
    }
    if (!panel) {
      panel = document.createElement('iframe');
      panel.setAttribute('data-salespane-panel', '');
      panel.setAttribute('title', browserApi.message('panelFrameTitle') || 'Salespane');
      panel.style.cssText = 'display:block;width:100%;min-height:320px;border:0;background:#fff;color-scheme:light';
      panel.src = browserApi.url('panel.html');
    }
    // Moving an iframe reloads it: move only when the slot itself changed.
    if (panel.parentNode !== slot) {
      if (spec.panel.placement === 'prepend') slot.prepend(panel);
      else slot.append(panel);
    }
  }

  function scan() {
    if (!browserApi.alive()) return stop();
    if (spec.markers.length && !queryFirst(document, spec.markers)) return;
    const page = { recordTitle: null, composes: [] };
    if (spec.compose) {
      page.composes = findComposes(spec.compose).slice(0, 20).map((root) => readCompose(root, spec.compose));
    }
    if (spec.record) {
      const title = queryFirst(document, spec.record.title);
      page.recordTitle = title ? text(title) : null;
    }
    placePanel();
    report({ v: V, type: 'observed', url: location.href, page });
  }

  function report(message) {
    const json = JSON.stringify(message);
    if (json === lastReport) return;
    lastReport = json;
    browserApi.send(message).then((answer) => {
      if (answer && answer.type === 'error') note('the background refused what this page shows: ' + answer.message);
    }, () => {
      // The background may be restarting: send again on the next look.
      lastReport = '';
      if (!browserApi.alive()) stop();
    });
  }

  // Batches any number of DOM changes into one look per frame (or soon, in a hidden tab).
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    const run = () => {
      if (!scheduled) return;
      scheduled = false;
      try { scan(); } catch (error) { note('could not read this page: ' + error); }
    };
    requestAnimationFrame(run);
    setTimeout(run, 150);
  }

  function start(received) {
    spec = received;
    observer = new MutationObserver(schedule);
    observer.observe(document.documentElement, { childList: true, subtree: true });
    // Single-page apps change the URL without a load; the isolated world does not see the page's
    // history calls, so look on popstate/hashchange, on typing, and every second.
    addEventListener('popstate', schedule);
    addEventListener('hashchange', schedule);
    document.addEventListener('input', schedule, true);
    timer = setInterval(schedule, 1000);
    browserApi.runtime.onMessage.addListener(onBackgroundMessage);
    schedule();
  }

  // A restarted background asks for the page again.
  function onBackgroundMessage(message) {
    if (message && message.v === V && message.type === 'reobserve') {
      lastReport = '';
      schedule();
    }
  }

  function stop() {
    browserApi.runtime.onMessage.removeListener(onBackgroundMessage);
    if (observer) observer.disconnect();
    clearInterval(timer);
    removeEventListener('popstate', schedule);
    removeEventListener('hashchange', schedule);
    document.removeEventListener('input', schedule, true);
  }

  function askSpec(attempt) {
    browserApi.send({ v: V, type: 'hostSpec', url: location.href }).then((answer) => {
      if (answer && answer.type === 'hostSpec' && answer.spec) start(answer.spec);
      else if (answer && answer.type === 'error') note('no host spec: ' + answer.message);
    }, (error) => {
      if (attempt < 3 && browserApi.alive()) setTimeout(() => askSpec(attempt + 1), 500 * (attempt + 1));
      else note('the background did not answer: ' + error);
    });
  }

  askSpec(0);
})();
