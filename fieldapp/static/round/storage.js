// What the phone keeps, in localStorage under "fa.": device, auth, since, skew, lock,
// r:<id> (server-known versions), o:<id> ({v, errors}: the latest unsent version of a record),
// forked (ids of households the laptop says have an open fork).
export const P = 'fa.';
const FULL = 'Bộ nhớ trình duyệt trên điện thoại đã đầy nên chưa lưu được. Hãy về gần máy thôn, ' +
  'bấm “Gửi ngay” nếu còn thay đổi chờ gửi, rồi lưu lại; nếu vẫn đầy, báo tổ trưởng. ' +
  'Những gì bạn vừa nhập vẫn còn trên màn hình.';
const collator = new Intl.Collator('vi');

export const store = {
  get(k) {
    try { const raw = localStorage.getItem(P + k); return raw == null ? null : JSON.parse(raw); }
    catch (e) { return null; }
  },
  set(k, v) {
    try { localStorage.setItem(P + k, JSON.stringify(v)); }
    catch (e) {
      if (e.name === 'QuotaExceededError' || e.code === 22) { const f = new Error(FULL); f.full = true; throw f; }
      throw e;
    }
  },
  del(k) { localStorage.removeItem(P + k); },
  keys(prefix) {  // one Object.keys call: localStorage.key(i) in a loop is quadratic
    return Object.keys(localStorage).filter((k) => k.startsWith(P + prefix)).map((k) => k.slice(P.length));
  },
};

const random = (n) => crypto.getRandomValues(new Uint8Array(n));
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// UUID v4 from getRandomValues: crypto.randomUUID needs a secure context.
export function uuid() {
  const b = random(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return hex(b).replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}

// The current version: greatest (updated_at, device_id), then JSON text (SPEC §3 ties on
// a SHA-256, which needs a secure context; the text is as deterministic here).
function cmp(a, b) {
  for (const k of ['updated_at', 'device_id']) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  const x = JSON.stringify(a); const y = JSON.stringify(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

export const fold = (s) => (s || '').toLowerCase().normalize('NFD').replace(/đ/g, 'd')
  .replace(/[\u0300-\u036f]/g, '').replace(/\s+/g, ' ').trim();

export const tab = hex(random(6));
export let device = store.get('device');
if (!device) { device = 'ph-' + hex(random(6)); store.set('device', device); }
export let auth = store.get('auth');
export let view = new Map();  // id -> version shown (newest of cache and outbox)
export let box = new Map();  // id -> {v, errors}
export let raws = new Map();  // id -> the outbox entry's text, to spot later edits
export let index = [];  // [household, folded text]

export function setAuth(a) { auth = a; }

// Drop the village's records kept here (signed out, or into another village).
export function forget() {
  for (const k of store.keys('r:')) store.del(k);
  store.del('since');
  store.del('forked');
}

export function loadBox() {
  box = new Map();
  raws = new Map();
  for (const k of store.keys('o:')) {
    const raw = localStorage.getItem(P + k);
    try { const e = JSON.parse(raw); box.set(e.v.id, e); raws.set(e.v.id, raw); } catch (err) { /* skip */ }
  }
}

export function reload() {
  view = new Map();
  for (const k of store.keys('r:')) { const v = store.get(k); if (v) view.set(v.id, v); }
  loadBox();
  for (const e of box.values()) {
    const old = view.get(e.v.id);
    if (!old || cmp(e.v, old) >= 0) view.set(e.v.id, e.v);
  }
  const members = new Map();
  for (const v of view.values()) {
    if (v.type === 'person' && !v.deleted) {
      const list = members.get(v.data.household_id) || [];
      list.push(v.data.full_name);
      members.set(v.data.household_id, list);
    }
  }
  index = live('household').map((h) => [h, fold([h.data.head_name, h.data.hamlet, h.data.address, h.data.phone,
    ...(members.get(h.id) || [])].join(' ')), fold(h.data.head_name)]);
  index.sort((a, b) => collator.compare(a[2], b[2]));
}

export function live(type, test) {
  const out = [];
  for (const v of view.values()) if (v.type === type && !v.deleted && (!test || test(v))) out.push(v);
  return out;
}

export function putCache(v) {
  const old = store.get('r:' + v.id);
  if (!old || cmp(v, old) > 0) store.set('r:' + v.id, v);
}
