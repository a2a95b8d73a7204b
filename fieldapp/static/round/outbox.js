// Sending the outbox to the laptop, pulling what others changed, one tab at a time.
import { P, auth, box, device, loadBox, putCache, raws, reload, store, tab } from './storage.js';
import { SET_CLOCK, counts, editing, net, say, setNet } from './page.js';
import { synced } from './wipe.js';

const BATCH = 500;
// a LAN answer takes well under a second: after this, the laptop is not answering
export const TIMEOUT = 10000;
const BACKOFF = [2000, 5000, 10000, 30000];  // waits before a retry after a loss
// what the screens do on news from a sync: set by main.js
export const hooks = {};
let syncing = false;
let again = '';  // asked to sync while a sync was running: '', 'auto' or 'manual'
let failures = 0;  // syncs lost in a row (no answer in time, or no network)
let waitUntil = 0;  // no automatic sync before this (backing off after a loss)
export let lastPull = 0;

export function save(type, id, data, deleted = false) {
  const known = store.get('r:' + id);
  let t = Date.now();
  if (known) t = Math.max(t, Date.parse(known.updated_at) + 1);
  const v = { id, type, village_id: auth.user.village_id, updated_at: new Date(t).toISOString(),
    device_id: device, author: auth.user.username, deleted, data, // base: what it was made from
    base: known ? { updated_at: known.updated_at, device_id: known.device_id } : null };
  store.set('o:' + id, { v });
  reload();
  counts();
  setTimeout(sync, 300);
  return v;
}

export class NetError extends Error {}

// `csrf`: a page-session call (the cookie goes along, with the page's CSRF token)
export async function api(method, path, body, anonymous, csrf) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT);
  const headers = { Accept: 'application/json' };
  if (body) headers['Content-Type'] = 'application/json';
  const token = auth && auth.token;
  if (!anonymous && token) headers.Authorization = 'Bearer ' + token;
  if (csrf) headers['X-CSRFToken'] = csrf;
  let res; let json = null;
  try {
    res = await fetch(path, { method, headers, body: body && JSON.stringify(body),
      signal: ctl.signal, cache: 'no-store', credentials: csrf ? 'same-origin' : 'omit' });
    json = await res.json().catch(() => null);
  } catch (e) {
    throw new NetError('Không kết nối được máy thôn.');
  } finally { clearTimeout(timer); }
  // signed out (and wiped) while this was on its way: nothing of it is kept
  if (!anonymous && (!auth || auth.token !== token)) throw new Error('signed out');
  clock((json && json.server_time) || res.headers.get('Date'));
  const msg = json && json.error && json.error.message;
  if (res.status === 401 && !anonymous) {
    hooks.signedOut(msg || 'Phiên đăng nhập đã hết hạn.', json?.error?.code === 'account_disabled');
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

export function unlock() {
  const l = store.get('lock');
  if (l && l.tab === tab) store.del('lock');
}

// `manual` (Gửi ngay, back online, signed in) skips a back-off; while lost, automatic
// tries keep showing "Mất kết nối" until the laptop answers.
export async function sync(manual) {
  manual = !!manual;
  if (syncing) { if (manual || !again) again = manual ? 'manual' : 'auto'; return; }
  if (!auth || !auth.token) return;
  if (!navigator.onLine) { setNet('off'); return; }
  if (!manual && Date.now() < waitUntil) return;
  if (!lock()) { setNet('other'); clearTimeout(retry); retry = setTimeout(sync, 1000); return; }
  syncing = true;
  const beat = setInterval(() => store.set('lock', { tab, until: Date.now() + LEASE }), LEASE / 3);
  if (manual || net !== 'off') setNet('busy');
  loadBox();  // another tab may have queued changes a moment ago
  counts();
  let changed = false;
  try {
    changed = await push();
    changed = (await pull()) || changed;
    synced();
    report();
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
      if (!editing()) hooks.rerender();
    }
    counts();
  }
}

// What the lead sees of this phone: its outbox, as it stands after this sync.
function report() {
  const rejected = [...box.values()].filter((e) => e.errors).length;
  api('POST', '/api/v1/phones', { device_id: device, waiting: box.size, rejected }).catch(() => {});
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

async function push() {
  const items = [...box.values()].filter((e) => !e.errors).map((e) => e.v)
    .sort((a, b) => (a.updated_at < b.updated_at ? -1 : 1));
  let rejected = 0;
  let late = 0;  // refused for a stamp ahead of the laptop's clock
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    const sentRaws = batch.map((v) => raws.get(v.id));
    const res = await api('POST', '/api/v1/records', { records: batch });
    res.results.forEach((r, j) => {
      const sent = batch[j];
      // Edited again (here or in another tab) while in flight: the newer one stays queued.
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
    if (!res.more) { store.set('forked', res.forked || []); break; }
  }
  lastPull = Date.now();
  return got > 0;
}
