// The round app (SPEC §5a): the village's records kept on the phone, edits queued in an
// outbox in localStorage, sent to POST /api/v1/records when the laptop answers.
// Storage keys (prefix "fa."): device, auth, since, skew, lock, r:<id> (server-known
// versions), o:<id> ({v, errors}: the latest unsent version of a record).
const BOOT = JSON.parse(document.getElementById('boot').textContent);
const R = BOOT.rules;
const P = 'fa.';
const BATCH = 500;
// a LAN answer takes well under a second: after this, the laptop is not answering
export const TIMEOUT = 10000;
const BACKOFF = [2000, 5000, 10000, 30000];     // waits before the next try after each loss
const CLOCK_LIMIT = 10 * 60000;   // the laptop refuses versions stamped further ahead (SPEC §3)
const SET_CLOCK = 'Hãy chỉnh giờ của điện thoại: vào Cài đặt → Ngày và giờ, bật “Tự động” ' +
  'hoặc đặt đúng theo giờ máy thôn';
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const LONE = /[\ud800-\udfff]/u;   // with the u flag only a half without its pair matches
const LETTER = /\p{L}/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PHONE = new RegExp(R.phone_pattern);
const ENV = { updated_at: 'Giờ ghi', author: 'Người ghi', village_id: 'Thôn', id: 'Mã bản ghi',
  type: 'Loại bản ghi', device_id: 'Mã điện thoại', record: 'Bản ghi' };
const FULL = 'Bộ nhớ trình duyệt trên điện thoại đã đầy nên chưa lưu được. Hãy về gần máy thôn, ' +
  'bấm “Gửi ngay” nếu còn thay đổi chờ gửi, rồi lưu lại; nếu vẫn đầy, báo tổ trưởng. ' +
  'Những gì bạn vừa nhập vẫn còn trên màn hình.';
const $ = (id) => document.getElementById(id);
const collator = new Intl.Collator('vi');
const choices = {};
for (const [k, list] of Object.entries(R.choices)) choices[k] = new Map(list);

// ---- storage -------------------------------------------------------------------------
const store = {
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
  keys(prefix) {   // one Object.keys call: localStorage.key(i) in a loop is quadratic
    return Object.keys(localStorage).filter((k) => k.startsWith(P + prefix)).map((k) => k.slice(P.length));
  },
};

function hex(n) {
  const b = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// UUID v4 from getRandomValues: crypto.randomUUID needs a secure context.
function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const s = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

// The current version is the greatest (updated_at, device_id, content): SPEC §3. The
// server breaks exact ties by a SHA-256 the page cannot compute off a secure context;
// comparing the JSON text is as deterministic for the local view.
function cmp(a, b) {
  for (const k of ['updated_at', 'device_id']) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  const x = JSON.stringify(a); const y = JSON.stringify(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

export const fold = (s) => (s || '').toLowerCase().normalize('NFD').replace(/đ/g, 'd')
  .replace(/[\u0300-\u036f]/g, '').replace(/\s+/g, ' ').trim();

// ---- state ---------------------------------------------------------------------------
const tab = hex(6);
let device = store.get('device');
if (!device) { device = 'ph-' + hex(6); store.set('device', device); }
let auth = store.get('auth');
let view = new Map();       // id -> version shown (newest of cache and outbox)
let box = new Map();        // id -> {v, errors}
let raws = new Map();       // id -> the outbox entry's text as stored, to spot later edits
let index = [];             // [household, folded text]
let syncing = false;
let again = '';             // asked to sync while a sync was running: '', 'auto' or 'manual'
let failures = 0;           // syncs lost in a row (no answer in time, or no network)
let waitUntil = 0;          // no automatic sync before this (backing off after a loss)
let net = '';
let lastPull = 0;
let notice = null;
let keep = false;           // keep the banner through the next hash change

function loadBox() {
  box = new Map();
  raws = new Map();
  for (const k of store.keys('o:')) {
    const raw = localStorage.getItem(P + k);
    try { const e = JSON.parse(raw); box.set(e.v.id, e); raws.set(e.v.id, raw); } catch (err) { /* skip */ }
  }
}

function reload() {
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
  index = live('household').map((h) => [h, fold([h.data.head_name, h.data.address, h.data.phone,
    ...(members.get(h.id) || [])].join(' ')), fold(h.data.head_name)]);
  index.sort((a, b) => collator.compare(a[2], b[2]));
}

function live(type, test) {
  const out = [];
  for (const v of view.values()) if (v.type === type && !v.deleted && (!test || test(v))) out.push(v);
  return out;
}

function putCache(v) {
  const old = store.get('r:' + v.id);
  if (!old || cmp(v, old) > 0) store.set('r:' + v.id, v);
}

// ---- saving --------------------------------------------------------------------------
function save(type, id, data, deleted = false) {
  const known = store.get('r:' + id);
  let t = Date.now();
  if (known) t = Math.max(t, Date.parse(known.updated_at) + 1);
  const v = { id, type, village_id: auth.user.village_id, updated_at: new Date(t).toISOString(),
    device_id: device, author: auth.user.username, deleted, data };
  store.set('o:' + id, { v });
  reload();
  counts();
  setTimeout(sync, 300);
  return v;
}

// ---- network -------------------------------------------------------------------------
class NetError extends Error {}

// `csrf`: a page-session call (the cookie goes along, with the page's CSRF token)
async function api(method, path, body, anonymous, csrf) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT);
  const headers = { Accept: 'application/json' };
  if (body) headers['Content-Type'] = 'application/json';
  if (!anonymous && auth && auth.token) headers.Authorization = 'Bearer ' + auth.token;
  if (csrf) headers['X-CSRFToken'] = csrf;
  let res; let json = null;
  try {
    res = await fetch(path, { method, headers, body: body && JSON.stringify(body),
      signal: ctl.signal, cache: 'no-store', credentials: csrf ? 'same-origin' : 'omit' });
    json = await res.json().catch(() => null);
  } catch (e) {
    throw new NetError('Không kết nối được máy thôn.');
  } finally { clearTimeout(timer); }
  clock((json && json.server_time) || res.headers.get('Date'));
  const msg = json && json.error && json.error.message;
  if (res.status === 401 && !anonymous) {
    signedOut(msg || 'Phiên đăng nhập đã hết hạn.');
    throw new Error('signed out');
  }
  if (!res.ok) {
    const e = new Error(msg || `Máy thôn trả lỗi ${res.status}. Hãy thử lại sau.`);
    e.status = res.status;
    throw e;
  }
  return json;
}

// How far the laptop's clock is ahead of the phone's (negative: the phone is ahead).
function clock(serverTime) {
  const at = Date.parse(serverTime);
  if (isNaN(at)) return;
  try { store.set('skew', at - Date.now()); } catch (e) { /* full: the last skew stays */ }
}

// A short lease renewed while sending: a tab closed or killed mid-sync blocks no one long.
const LEASE = 5000;
let retry = 0;
function lock() {
  const l = store.get('lock');
  const now = Date.now();
  if (l && l.tab !== tab && l.until > now) return false;
  store.set('lock', { tab, until: now + LEASE });
  return true;
}

function unlock() {
  const l = store.get('lock');
  if (l && l.tab === tab) store.del('lock');
}

// `manual` (Gửi ngay, back online, signed in) skips a back-off; while lost, automatic
// tries keep showing "Mất kết nối" until the laptop answers.
async function sync(manual) {
  manual = !!manual;
  if (syncing) { if (manual || !again) again = manual ? 'manual' : 'auto'; return; }
  if (!auth || !auth.token) return;
  if (!navigator.onLine) { setNet('off'); return; }
  if (!manual && Date.now() < waitUntil) return;
  if (!lock()) { setNet('other'); clearTimeout(retry); retry = setTimeout(sync, 1000); return; }
  syncing = true;
  const beat = setInterval(() => store.set('lock', { tab, until: Date.now() + LEASE }), LEASE / 3);
  if (manual || net !== 'off') setNet('busy');
  loadBox();                 // another tab may have queued changes a moment ago
  counts();
  let changed = false;
  try {
    changed = await push();
    changed = (await pull()) || changed;
    failures = 0;
    waitUntil = 0;
    setNet('on');
  } catch (e) {
    if (e instanceof NetError) lost();
    else if (e.message === 'signed out') setNet('');
    else { setNet('on'); say(e.message); }
  } finally {
    clearInterval(beat);
    syncing = false;
    unlock();
    const next = again;
    again = '';
    if (next === 'manual' || (next && !failures)) setTimeout(() => sync(next === 'manual'), 100);
    if (changed) {
      reload();
      if (!editing()) rerender();
    }
    counts();
  }
}

// No answer: say so; try again later, waiting longer after each loss in a row.
function lost() {
  setNet('off');
  const wait = BACKOFF[Math.min(failures, BACKOFF.length - 1)];
  failures += 1;
  waitUntil = Date.now() + wait;
  clearTimeout(retry);
  retry = setTimeout(() => { waitUntil = 0; sync(); }, wait);
}

// Render again without taking the keyboard away from someone typing a search.
function rerender() {
  const typing = document.activeElement && document.activeElement.id === 'q';
  render();
  if (typing && $('q')) $('q').focus();
}

async function push() {
  const items = [...box.values()].filter((e) => !e.errors).map((e) => e.v)
    .sort((a, b) => (a.updated_at < b.updated_at ? -1 : 1));
  let rejected = 0;
  let late = 0;              // refused for a stamp ahead of the laptop's clock
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    const sentRaws = batch.map((v) => raws.get(v.id));
    const res = await api('POST', '/api/v1/records', { records: batch });
    res.results.forEach((r, j) => {
      const sent = batch[j];
      // Edited again (here or in another tab) while in flight: the newer version stays queued.
      if (localStorage.getItem(P + 'o:' + sent.id) !== sentRaws[j]) return;
      if (r.status === 'rejected') {
        rejected += 1;
        if (r.errors && r.errors.updated_at) late += 1;
        const cur = { v: sent, errors: r.errors || { record: 'bị từ chối' } };
        store.set('o:' + sent.id, cur);
        box.set(sent.id, cur);
      } else {
        store.del('o:' + sent.id);
        box.delete(sent.id);
        try { putCache(sent); } catch (e) { /* the pull brings it back */ }
      }
    });
    counts();
  }
  if (late) {
    say(`${late} thay đổi bị máy thôn từ chối vì đồng hồ điện thoại chạy nhanh hơn giờ máy thôn. ` +
      `${SET_CLOCK}, rồi mở lại từng thay đổi bị từ chối và bấm “Lưu trên điện thoại”.` +
      (rejected > late ? ` ${rejected - late} thay đổi khác bị từ chối vì lý do khác: xem ở danh sách.` : ''));
  } else if (rejected) say(`${rejected} thay đổi bị máy thôn từ chối. Hãy xem lý do ở danh sách và sửa lại.`);
  return items.length > 0;
}

async function pull() {
  let since = store.get('since') || 0;
  let got = 0;
  for (let n = 0; n < 100; n++) {
    const res = await api('GET', `/api/v1/records?since=${since}&limit=1000`);
    try {
      for (const v of res.records) putCache(v);
      store.set('since', res.next_since);
    } catch (e) {
      if (!e.full) throw e;
      throw new Error('Bộ nhớ trình duyệt trên điện thoại đã đầy: chưa tải hết dữ liệu của thôn. ' +
        'Các thay đổi của bạn vẫn được giữ và gửi bình thường.');
    }
    got += res.records.length;
    since = res.next_since;
    if (!res.more) break;
  }
  lastPull = Date.now();
  return got > 0;
}

// ---- signing in ----------------------------------------------------------------------
function pendingAuthor() {
  for (const e of box.values()) return e.v.author;
  return null;
}

function signedIn(answer) {
  const other = pendingAuthor();
  if (other && other !== answer.user.username) {
    // the token just issued is handed back, not left valid with nobody holding it
    fetch('/api/v1/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + answer.token },
      cache: 'no-store', credentials: 'omit' }).catch(() => {});
    throw new Error(`Điện thoại này còn ${box.size} thay đổi của ${other} chưa gửi. ` +
      `Hãy để ${other} đăng nhập và gửi xong trước.`);
  }
  if (!auth || !auth.user || auth.user.village_id !== answer.user.village_id) {
    for (const k of store.keys('r:')) store.del(k);
    store.del('since');
  }
  auth = { token: answer.token, user: answer.user };
  notice = null;
  store.set('auth', auth);
  reload();
  location.hash = '';
  render();
  sync(true);
}

function signedOut(message) {
  auth = auth && { token: null, user: auth.user };
  store.set('auth', auth);
  const n = box.size;
  notice = message + (n ? ` ${n} thay đổi chờ gửi vẫn còn nguyên trên máy; đăng nhập lại để gửi.` : '');
  say('');
  render();
}

async function signOut() {
  if (box.size) { say('Còn thay đổi chưa gửi: hãy gửi xong rồi mới đăng xuất.'); return; }
  api('POST', '/api/v1/logout', {}).catch(() => {});
  for (const k of store.keys('r:')) store.del(k);
  store.del('since');
  store.del('auth');
  auth = null;
  reload();
  location.hash = '';
  render();
}

async function redeemCard(code) {
  history.replaceState(null, '', location.pathname);
  try {
    signedIn(await api('POST', '/api/v1/login/card', { code }, true));
  } catch (e) {
    notice = e instanceof NetError ? 'Không kết nối được máy thôn để dùng thẻ. Hãy nối Wi-Fi của máy thôn rồi quét lại.' : e.message;
    render();
  }
}

// ---- rendering helpers ---------------------------------------------------------------
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat(3)) if (c != null && c !== false) el.append(c);
  return el;
}

function say(text, kind = 'error', sticky = false) {
  keep = sticky;
  const b = $('banner');
  b.replaceChildren(text ? h('p', { class: 'flash ' + kind }, text) : '');
}

function setNet(state) {
  net = state;
  counts();
}

const NET = { on: 'Đã nối máy thôn', off: 'Mất kết nối', busy: 'Đang đồng bộ…', other: 'Thẻ khác đang gửi', '': '' };

function counts() {
  const n = box.size;
  const bad = [...box.values()].filter((e) => e.errors).length;
  const text = n ? `${n} thay đổi chờ gửi${bad ? ` (${bad} bị từ chối)` : ''}` : 'Không có thay đổi chờ gửi';
  // Rewrite live regions only on change, so screen readers do not repeat them.
  if ($('count').textContent !== text) $('count').textContent = text;
  $('outbox').className = 'outbox' + (n ? ' waiting' : '');
  $('send').hidden = !auth || !auth.token || n === bad;
  if ($('net').textContent !== NET[net]) $('net').textContent = NET[net];
  $('net').className = 'net ' + net;
  const skew = store.get('skew');
  const old = $('skew');
  if (old) old.remove();
  if (skew != null && Math.abs(skew) > CLOCK_LIMIT) $('banner').before(clockBanner(skew));
}

// Ahead, the laptop refuses every change; behind, another's earlier edit can win.
function clockBanner(skew) {
  const mins = Math.round(Math.abs(skew) / 60000);
  const amount = mins >= 2880 ? `${Math.round(mins / 1440)} ngày` : mins >= 120 ? `${Math.round(mins / 60)} giờ` : `${mins} phút`;
  const there = new Date(Date.now() + skew).toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh',
    hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' });
  const ahead = skew < 0;
  return h('p', { id: 'skew', class: 'flash ' + (ahead ? 'error' : 'warn') },
    `Đồng hồ điện thoại ${ahead ? 'nhanh' : 'chậm'} ${amount} so với máy thôn (giờ máy thôn: ${there}). ` +
    (ahead ? 'Máy thôn sẽ từ chối mọi thay đổi bạn lưu cho đến khi đồng hồ điện thoại được chỉnh đúng. '
      : 'Thay đổi vẫn được nhận nhưng ghi giờ sai, nên có thể bị coi là cũ hơn thay đổi của người khác. ') +
    SET_CLOCK + '.');
}

const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const vnDate = (s) => (s ? s.slice(0, 10).split('-').reverse().join('/') : '');
const label = (set, key) => (choices[set] && choices[set].get(key)) || key;
const editing = () => location.hash.startsWith('#e=') || location.hash.startsWith('#n=');

function go(hash) { location.hash = hash; }

function errorText(errors) {
  return Object.entries(errors).map(([k, m]) => (k.startsWith('data.') ? m : `${ENV[k] || k}: ${m}`));
}

function title(v) {
  const d = v.data || {};
  if (v.type === 'household') return d.head_name;
  if (v.type === 'person') return d.full_name;
  if (v.type === 'visit') return `Đến nhà ${vnDate(d.visited_on)}`;
  return `Khảo sát ${vnDate(d.surveyed_on)}`;
}

function mark(v) {
  const e = box.get(v.id);
  if (!e) return null;
  return e.errors ? h('em', { class: 'tag bad' }, 'bị từ chối') : h('em', { class: 'tag' }, 'chờ gửi');
}

// ---- views ---------------------------------------------------------------------------
function render() {
  const main = $('main');
  const who = auth && auth.token ? auth.user : null;
  $('title').textContent = who ? `Đi vòng · ${BOOT.villages[who.village_id] || who.village_id}` : 'Đi vòng';
  counts();
  if (!who) { main.replaceChildren(signInView()); return; }
  const [key, arg = ''] = location.hash.slice(1).split('=');
  let node;
  if (key === 'h' && view.get(arg)) node = householdView(view.get(arg));
  else if (key === 'e' && view.get(arg)) node = formView(view.get(arg).type, view.get(arg));
  else if (key === 'n') { const [type, parent] = arg.split('/'); node = R.types[type] ? formView(type, null, parent) : listView(); }
  else node = listView();
  main.replaceChildren(node);
}

function signInView() {
  const last = auth && auth.user;
  const msg = h('p', { id: 'signin-msg', class: notice ? 'flash error' : 'hint', role: 'alert' },
    notice || 'Đăng nhập bằng tài khoản và mã PIN 6 số do tổ trưởng cấp, hoặc quét thẻ đăng nhập QR.');
  const form = h('form', { class: 'card', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const username = form.elements.username.value.trim().toLowerCase();
    const secret = form.elements.secret.value;
    if (!username || !secret) { msg.className = 'flash error'; msg.textContent = 'Hãy nhập tên đăng nhập và mã PIN.'; return; }
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      signedIn(await api('POST', '/api/v1/login', { username, secret }, true));
    } catch (e) {
      msg.className = 'flash error';
      msg.textContent = e instanceof NetError ? 'Không kết nối được máy thôn. Hãy nối Wi-Fi của máy thôn rồi thử lại.' : e.message;
      button.disabled = false;
    }
  } },
  h('div', { class: 'field' }, h('label', { for: 'username' }, 'Tên đăng nhập'),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', autocapitalize: 'none',
      value: last ? last.username : '', required: true })),
  h('div', { class: 'field' }, h('label', { for: 'secret' }, 'Mã PIN'),
    h('input', { id: 'secret', name: 'secret', type: 'password', inputmode: 'numeric',
      autocomplete: 'current-password', required: true })),
  h('button', { class: 'primary wide', type: 'submit' }, 'Đăng nhập'));
  return h('section', { 'aria-labelledby': 'signin-h' }, h('h2', { id: 'signin-h' }, 'Đăng nhập'),
    msg, sessionButton(msg), form);
}

// Signed in on the village pages in this browser: one tap, no PIN.
function sessionButton(msg) {
  const s = BOOT.session;
  if (!s) return null;
  const button = h('button', { class: 'primary wide', type: 'button', id: 'as-session', onclick: async () => {
    button.disabled = true;
    try {
      signedIn(await api('POST', '/round/session-token', null, true, s.csrf));
    } catch (e) {
      msg.className = 'flash error';
      msg.textContent = e instanceof NetError ? 'Không kết nối được máy thôn. Hãy nối Wi-Fi của máy thôn rồi thử lại.' : e.message;
      button.disabled = false;
    }
  } }, `Tiếp tục với tài khoản ${s.username}`);
  return h('div', { class: 'card' }, button,
    h('p', { class: 'hint' }, 'Bạn đang đăng nhập trên trang của máy thôn. Hoặc đăng nhập tài khoản khác bên dưới.'));
}

function listView() {
  const q = h('input', { id: 'q', type: 'search', autocomplete: 'off', value: sessionStorage.getItem('q') || '',
    placeholder: 'Tên, địa chỉ, số điện thoại' });
  const list = h('ul', { class: 'list', id: 'households' });
  const info = h('p', { class: 'hint', id: 'found' });
  const fill = () => {
    const needle = fold(q.value);
    sessionStorage.setItem('q', q.value);
    const hits = needle ? index.filter(([, text]) => text.includes(needle)) : index;
    const met = new Set(live('visit', (v) => v.data.outcome === 'met').map((v) => v.data.household_id));
    list.replaceChildren(...hits.slice(0, 60).map(([v]) => h('li', {},
      h('a', { href: '#h=' + v.id }, h('strong', {}, v.data.head_name),
        h('span', {}, v.data.address || ''), met.has(v.id) ? h('em', { class: 'tag ok' }, 'đã gặp') : null, mark(v)))));
    if (!hits.length) list.append(h('li', { class: 'empty' }, needle ? 'Không tìm thấy hộ nào.' : 'Chưa có hộ nào trên máy.'));
    info.textContent = `${hits.length} hộ` + (hits.length > 60 ? ' (hiện 60 hộ đầu, gõ thêm để tìm)' : '');
  };
  q.addEventListener('input', fill);
  fill();
  const bad = [...box.values()].filter((e) => e.errors);
  return h('section', {},
    bad.length ? h('div', { class: 'card rejected', id: 'rejected' },
      h('h2', {}, `${bad.length} thay đổi bị từ chối`),
      h('p', {}, 'Máy thôn chưa nhận những thay đổi này. Chúng vẫn được giữ trên điện thoại: bấm vào để sửa rồi lưu lại.'),
      h('ul', { class: 'list' }, bad.map((e) => h('li', {}, h('a', { href: '#e=' + e.v.id },
        h('strong', {}, `${R.type_labels[e.v.type]}: ${title(e.v) || ''}`),
        errorText(e.errors).map((t) => h('span', { class: 'err' }, t))))))) : null,
    h('div', { class: 'field' }, h('label', { for: 'q' }, 'Tìm hộ'), q),
    h('a', { class: 'button primary wide', href: '#n=household' }, '+ Thêm hộ mới'),
    info, list,
    h('p', { class: 'row' }, h('button', { type: 'button', onclick: signOut }, 'Đăng xuất'),
      auth.user.role === 'lead' ? h('a', { class: 'button', href: '/round/cards' }, 'Thẻ đăng nhập QR') : null,
      h('a', { class: 'button', href: '/' }, 'Trang máy thôn'),
      h('span', { class: 'hint' }, `${auth.user.username} · máy ${device}`)));
}

function householdView(hh) {
  const d = hh.data;
  const of = (type) => live(type, (v) => v.data.household_id === hh.id);
  const people = of('person').sort((a, b) => a.data.birth_year - b.data.birth_year);
  const visits = of('visit').sort((a, b) => (a.data.visited_on < b.data.visited_on ? 1 : -1));
  const surveys = of('survey');
  const item = (v, ...rest) => h('li', {}, h('a', { href: '#e=' + v.id }, h('strong', {}, title(v)), ...rest, mark(v)));
  return h('section', {},
    h('a', { href: '#', class: 'back' }, '← Danh sách hộ'),
    h('h2', {}, d.head_name, ' ', mark(hh)),
    h('p', { class: 'sub' }, [d.address, d.phone].filter(Boolean).join(' · ')),
    d.note ? h('p', {}, d.note) : null,
    h('div', { class: 'actions' },
      h('a', { class: 'button primary', href: `#n=visit/${hh.id}` }, '+ Ghi lần đến nhà'),
      h('a', { class: 'button', href: `#n=person/${hh.id}` }, '+ Thêm người'),
      h('a', { class: 'button', href: `#n=survey/${hh.id}` }, '+ Khảo sát hài lòng'),
      h('a', { class: 'button', href: '#e=' + hh.id }, 'Sửa thông tin hộ')),
    h('h3', {}, `Thành viên (${people.length})`),
    h('ul', { class: 'list', id: 'people' }, people.map((p) => item(p,
      h('span', {}, `${p.data.birth_year} · VNeID: ${label('vneid', p.data.vneid)}`),
      p.data.bank_account ? h('em', { class: 'tag ok' }, 'có TK ngân hàng') : null,
      p.data.uses_online_services ? h('em', { class: 'tag ok' }, 'dùng DVC') : null))),
    h('h3', {}, `Lần đến nhà (${visits.length})`),
    h('ul', { class: 'list', id: 'visits' }, visits.map((v) => item(v,
      h('span', {}, label('outcome', v.data.outcome)),
      (v.data.help || []).map((k) => h('em', { class: 'tag' }, label('help', k)))))),
    h('h3', {}, `Khảo sát (${surveys.length})`),
    h('ul', { class: 'list', id: 'surveys' }, surveys.map((v) => item(v,
      h('span', {}, `${label('service_area', v.data.service_area)} · ${v.data.rating}/5`)))));
}

function input(rule, value, parent) {
  const id = 'i-' + rule.name;
  const desc = 'e-' + rule.name;
  const req = rule.required ? h('span', { class: 'req' }, ' *') : null;
  const opts = choices[rule.choices] ? [...choices[rule.choices]] : [];
  const group = (type, selected) => h('fieldset', { 'aria-describedby': desc },
    h('legend', {}, rule.label, req),
    h('div', { class: type === 'checkbox' ? 'options stack' : 'options' }, opts.map(([k, text]) => h('label', { class: 'option' },
      h('input', { type, name: rule.name, id: `${id}-${k}`, value: String(k), checked: selected(k) }), h('span', {}, text)))));
  switch (rule.kind) {
    case 'bool':
      return h('label', { class: 'check' }, h('input', { type: 'checkbox', id, name: rule.name, checked: !!value, 'aria-describedby': desc }),
        h('span', {}, rule.label));
    case 'choices':
      return group('checkbox', (k) => (value || []).includes(k));
    case 'rating':
      return group('radio', (k) => k === value);
    case 'choice': {
      // a new visit is usually a met household and a new person has no VNeID yet: one tap less
      const chosen = value ?? { outcome: 'met', vneid: 'none' }[rule.name];
      if (opts.length <= 4) return group('radio', (k) => k === chosen);
      return [h('label', { for: id }, rule.label, req), h('select', { id, name: rule.name, 'aria-describedby': desc },
        h('option', { value: '' }, '— Chọn —'), opts.map(([k, text]) => h('option', { value: k, selected: k === chosen }, text)))];
    }
    case 'ref': {
      if (rule.name === 'household_id') return h('input', { type: 'hidden', name: rule.name, value: value || parent || '' });
      const members = live('person', (p) => p.data.household_id === parent);
      return [h('label', { for: id }, rule.label), h('select', { id, name: rule.name, 'aria-describedby': desc },
        h('option', { value: '' }, '— Không chọn —'), members.map((p) => h('option', { value: p.id, selected: p.id === value }, p.data.full_name)))];
    }
    default: {
      const attrs = { id, name: rule.name, value: value == null ? '' : String(value), 'aria-describedby': desc, maxlength: rule.max_length };
      let el;
      if (rule.multiline) el = h('textarea', attrs);
      else if (rule.kind === 'date') el = h('input', { ...attrs, type: 'date', value: value || today(), maxlength: null });
      else if (rule.kind === 'year') el = h('input', { ...attrs, inputmode: 'numeric', maxlength: 4, autocomplete: 'off' });
      else if (rule.kind === 'phone') el = h('input', { ...attrs, type: 'tel', autocomplete: 'off' });
      else el = h('input', { ...attrs, type: 'text', autocomplete: 'off' });
      return [h('label', { for: id }, rule.label, req), el];
    }
  }
}

function read(form, type) {
  const data = {};
  for (const rule of R.types[type]) {
    const els = form.elements;
    if (rule.kind === 'bool') { data[rule.name] = els[rule.name].checked; continue; }
    if (rule.kind === 'choices') {
      data[rule.name] = [...form.querySelectorAll(`input[name="${rule.name}"]:checked`)].map((x) => x.value);
      continue;
    }
    const el = els[rule.name];
    if (!el) continue;
    let v = el.value;
    if (v == null || v === '') {
      if (rule.kind === 'text' || rule.kind === 'phone') data[rule.name] = '';
      continue;
    }
    if (rule.kind === 'text' || rule.kind === 'phone') v = v.normalize('NFC').trim();
    else if (rule.kind === 'year') v = /^\s*\d+\s*$/.test(v) ? parseInt(v, 10) : v;
    else if (rule.kind === 'rating') v = Number(v);
    data[rule.name] = v;
  }
  return data;
}

// The same checks as fieldapp/forms/rules.py, from the rules it publishes.
export function check(type, data) {
  const errors = {};
  for (const rule of R.types[type]) {
    let v = data[rule.name];
    if (typeof v === 'string' && (rule.kind === 'text' || rule.kind === 'phone')) v = v.normalize('NFC').trim();
    if (v == null || v === '' || (Array.isArray(v) && !v.length)) {
      if (rule.required) errors[rule.name] = `${rule.label}: bắt buộc`;
      continue;
    }
    const why = check1(rule, v);
    if (why) errors[rule.name] = `${rule.label}: ${why}`;
  }
  return errors;
}

function check1(rule, v) {
  const set = choices[rule.choices];
  switch (rule.kind) {
    case 'text': case 'phone':
      if (typeof v !== 'string') return 'phải là chữ';
      if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(v) || LONE.test(v)) return 'có ký tự không hợp lệ';
      if (BIDI.test(v)) return 'có ký tự ẩn đảo chiều chữ, không được phép';
      if ([...v].length > rule.max_length) return `dài quá ${rule.max_length} ký tự`;
      // every required text field is a name (head_name, full_name): it must be readable
      if (rule.kind === 'text' && rule.required && !LETTER.test(v)) return 'phải có ít nhất một chữ cái';
      if (rule.kind === 'phone' && !PHONE.test(v)) return 'sai dạng (ví dụ 0912 345 678)';
      return null;
    case 'year':
      if (!Number.isInteger(v)) return 'phải là số nguyên';
      if (v > Math.max(R.max_year, new Date().getFullYear())) return 'không thể ở tương lai';
      if (v < R.min_birth_year) return `phải từ ${R.min_birth_year} trở đi`;
      return null;
    case 'rating':
      if (!Number.isInteger(v)) return 'phải là số nguyên';
      return v >= 1 && v <= 5 ? null : 'phải từ 1 đến 5';
    case 'bool':
      return typeof v === 'boolean' ? null : 'phải là có hoặc không';
    case 'choice':
      return set.has(v) ? null : 'giá trị không hợp lệ';
    case 'choices':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return 'phải là danh sách';
      return v.length <= set.size * 2 && v.every((x) => set.has(x)) ? null : 'có giá trị không hợp lệ';
    case 'date': {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return 'phải là ngày dạng YYYY-MM-DD';
      const day = new Date(v + 'T00:00:00Z');
      if (isNaN(day) || day.toISOString().slice(0, 10) !== v) return 'không phải ngày có thật';
      if (day - new Date(today() + 'T00:00:00Z') > 86400000) return 'không thể ở tương lai';
      if (day.getUTCFullYear() < 2000) return 'ngày quá xa';
      return null;
    }
    case 'ref':
      return UUID.test(v) ? null : 'mã tham chiếu không hợp lệ';
    default:
      return null;
  }
}

function formView(type, version, parent) {
  const rules = R.types[type];
  const data = version ? version.data : {};
  parent = parent || data.household_id;
  const pending = version && box.get(version.id);
  const top = h('div', { id: 'form-errors', role: 'alert' });
  const form = h('form', { class: 'card', novalidate: true, id: 'record-form' },
    rules.map((rule) => h('div', { class: 'field', id: 'f-' + rule.name },
      input(rule, data[rule.name], parent), h('p', { class: 'err', id: 'e-' + rule.name }))),
    h('button', { class: 'primary wide', type: 'submit' }, 'Lưu trên điện thoại'));
  const back = () => go(type === 'household' ? (version ? '#h=' + version.id : '#') : '#h=' + parent);
  const show = (errors) => {
    for (const rule of rules) {
      const msg = errors[rule.name] || errors['data.' + rule.name] || '';
      const field = form.querySelector('#f-' + rule.name);
      form.querySelector('#e-' + rule.name).textContent = msg;
      field.classList.toggle('has-error', !!msg);
      const el = form.elements[rule.name];
      if (el && el.setAttribute) { if (msg) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid'); }
    }
    const rest = Object.entries(errors).filter(([k]) => !rules.some((r) => r.name === k || 'data.' + r.name === k));
    top.replaceChildren(...(Object.keys(errors).length ? [h('p', { class: 'flash error' },
      'Chưa lưu được: hãy sửa những chỗ báo đỏ.', ...errorText(Object.fromEntries(rest)).map((t) => [h('br'), t]))] : []));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fresh = read(form, type);
    const errors = check(type, fresh);
    show(errors);
    if (Object.keys(errors).length) {
      const first = form.querySelector('.has-error input, .has-error select, .has-error textarea');
      if (first) first.focus();
      return;
    }
    try {
      const v = save(type, version ? version.id : uuid(), fresh);
      say(`Đã lưu ${R.type_labels[type].toLowerCase()} trên điện thoại.`, 'ok', true);
      go(type === 'household' ? '#h=' + v.id : '#h=' + parent);
    } catch (e) {
      say(e.message);
    }
  });
  if (pending && pending.errors) show(pending.errors);
  return h('section', {},
    h('a', { href: version ? (type === 'household' ? '#h=' + version.id : '#h=' + parent) : (parent ? '#h=' + parent : '#'), class: 'back', onclick: (ev) => { ev.preventDefault(); back(); } }, '← Quay lại'),
    h('h2', {}, (version ? 'Sửa: ' : 'Thêm: ') + R.type_labels[type]),
    top, form,
    version ? h('button', { type: 'button', class: 'danger', onclick: () => {
      if (!confirm(`Xóa ${R.type_labels[type].toLowerCase()} này?`)) return;
      try { save(type, version.id, version.data, true); say('Đã xóa trên điện thoại.', 'ok', true); go(type === 'household' ? '#' : '#h=' + parent); }
      catch (e) { say(e.message); }
    } }, 'Xóa') : null);
}

// ---- start ---------------------------------------------------------------------------
function start() {
  try { localStorage.setItem(P + 'probe', '1'); localStorage.removeItem(P + 'probe'); }
  catch (e) {
    $('main').replaceChildren(h('p', { class: 'flash error' }, 'Trình duyệt không cho lưu dữ liệu (chế độ ẩn danh hoặc bộ nhớ đầy). Hãy mở bằng cửa sổ thường.'));
    return;
  }
  reload();
  window.addEventListener('hashchange', () => {
    if (!keep) say('');
    keep = false;
    render();
    window.scrollTo(0, 0);
    $('main').focus({ preventScroll: true });   // screen readers start at the new view
  });
  let later = 0;
  window.addEventListener('storage', (e) => {
    if (!e.key || !e.key.startsWith(P) || e.key === P + 'lock') return;
    clearTimeout(later);
    later = setTimeout(() => {
      auth = store.get('auth');
      reload();
      if (auth && auth.token && editing()) counts(); else render();
    }, 50);
  });
  window.addEventListener('beforeunload', (e) => {
    if (box.size) { e.preventDefault(); e.returnValue = ''; }
  });
  window.addEventListener('pagehide', unlock);
  window.addEventListener('online', () => sync(true));
  window.addEventListener('offline', () => setNet('off'));
  $('send').addEventListener('click', () => { say(''); sync(true); });
  setInterval(() => { if (box.size || Date.now() - lastPull > 60000) sync(); }, 15000);
  const card = /^#card=([A-Za-z0-9_-]{16,64})$/.exec(location.hash);
  if (card) { redeemCard(card[1]); return; }
  render();
  sync();
}

start();
