// What only the background and the extension's own pages use (never loaded into host pages):
// the identity flow, storage, sealing for storage.local, host-permission requests. Extends the
// base adapter (adapter.js) so browser differences stay in these two files (DESIGN §8).
import './adapter.js';

const base = globalThis.salespaneBrowser;
const api = base.raw;

// Sealing for what the background keeps in storage.local, which content scripts can read and
// write in both browsers: AES-GCM under a non-extractable key kept in the extension origin's
// IndexedDB. A content script's IndexedDB is the host page's, so it never reaches the key: it
// can neither read a sealed value nor write one that opens. The associated data names the
// storage key, so a sealed value moved under another key does not open either.
const SEAL_DB = 'salespane-keys';
const SEAL_STORE = 'keys';
const SEAL_KEY_ID = 'storage-local-seal';
const SEAL_IV_BYTES = 12;
const SEAL_LABEL = 'salespane.storage.local.v2\n';
/** The error name openLocal rejects with when the key is gone (src/auth/session.rs reads it). */
const KEY_LOST = 'SealingKeyLost';
const sealLabel = (storageKey) => new TextEncoder().encode(SEAL_LABEL + String(storageKey));
const inExtensionOrigin = () => /^(chrome|moz)-extension:$/.test(globalThis.location.protocol);

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openKeyDb() {
  const req = globalThis.indexedDB.open(SEAL_DB, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(SEAL_STORE);
  return request(req);
}

/** The sealing key; a new one is made (and kept) only when `create` is set. */
async function sealKey(create) {
  if (!inExtensionOrigin()) throw new Error('sealing is only available to the extension itself');
  const fresh = create
    ? await globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false,
      ['encrypt', 'decrypt'])
    : null;
  const db = await openKeyDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(SEAL_STORE, fresh ? 'readwrite' : 'readonly');
      const store = tx.objectStore(SEAL_STORE);
      let key = null;
      // Read then write in one transaction: two first seals at once keep the same key.
      const get = store.get(SEAL_KEY_ID);
      get.onsuccess = () => {
        key = get.result || fresh;
        if (!get.result && fresh) store.put(fresh, SEAL_KEY_ID);
      };
      tx.oncomplete = () => {
        if (key) return resolve(key);
        const lost = new Error('the sealing key is gone (the extension\'s storage was cleared)');
        lost.name = KEY_LOST;
        return reject(lost);
      };
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('sealing key transaction aborted'));
    });
  } finally {
    // Closed at once: a held connection would block deleting the database.
    db.close();
  }
}

function toBase64(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return globalThis.btoa(text);
}

function fromBase64(text) {
  return Uint8Array.from(globalThis.atob(text), (c) => c.charCodeAt(0));
}

async function sealLocal(plain, storageKey) {
  const key = await sealKey(true);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(SEAL_IV_BYTES));
  const sealed = new Uint8Array(await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: sealLabel(storageKey) }, key,
    new TextEncoder().encode(plain)));
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return toBase64(out);
}

async function openLocal(sealed, storageKey) {
  const key = await sealKey(false);
  const bytes = fromBase64(sealed);
  if (bytes.length <= SEAL_IV_BYTES) throw new Error('sealed value is truncated');
  const plain = await globalThis.crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.subarray(0, SEAL_IV_BYTES), additionalData: sealLabel(storageKey) },
    key, bytes.subarray(SEAL_IV_BYTES));
  return new TextDecoder().decode(plain);
}

/** Keeps storage.session to extension pages and the background (the default; said aloud). */
function restrictSessionStorage() {
  const area = api.storage && api.storage.session;
  if (!area || typeof area.setAccessLevel !== 'function') return Promise.resolve(false);
  return Promise.resolve(area.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' }))
    .then(() => true, () => false);
}

globalThis.salespaneBrowser = Object.freeze({
  ...base,
  // Used by the background's sign-in (src/auth/session.rs) and the extension pages.
  /** The redirect URI the browser intercepts for this extension (differs per browser). */
  redirectUrl: () => api.identity.getRedirectURL(),
  /** Opens the identity provider's page; resolves with the URL it redirected to. */
  launchWebAuthFlow: (url, interactive) => api.identity.launchWebAuthFlow({ url, interactive }),
  /** `storage.<area>` value under `key`, or undefined. */
  storageGet: (area, key) => api.storage[area].get(key).then((items) => items[key]),
  storageSet: (area, key, value) => api.storage[area].set({ [key]: value }),
  storageRemove: (area, keys) => api.storage[area].remove(keys),
  /** Encrypts text for `storage.local[storageKey]` (base64 of iv‖ciphertext); extension origin only. */
  sealLocal,
  /** Decrypts what `sealLocal` gave for the same storage key; rejects when the key is gone
   *  (error name `SealingKeyLost`) or the value was altered or moved. */
  openLocal,
  restrictSessionStorage,
  randomBytes: (count) => globalThis.crypto.getRandomValues(new Uint8Array(count)),
  /** Asks for host permissions; must run inside a user gesture (a click handler). */
  requestOrigins: (origins) => (origins.length === 0
    ? Promise.resolve(true)
    : api.permissions.request({ origins })),
  openPage: (path) => api.tabs.create({ url: api.runtime.getURL(path) }),
  openOptions: () => api.runtime.openOptionsPage(),
});
