// What every screen shares: the element builder, the banner, the outbox and clock bars.
import { auth, box, store } from './storage.js';
import { R } from './rules.js';

export const SET_CLOCK = 'Hãy chỉnh giờ của điện thoại: vào Cài đặt → Ngày và giờ, bật “Tự động” ' +
  'hoặc đặt đúng theo giờ máy thôn';
const ENV = { updated_at: 'Giờ ghi', author: 'Người ghi', village_id: 'Thôn', id: 'Mã bản ghi',
  type: 'Loại bản ghi', device_id: 'Mã điện thoại', record: 'Bản ghi' };
const NET = { on: 'Đã nối máy thôn', off: 'Mất kết nối', busy: 'Đang đồng bộ…', other: 'Thẻ khác đang gửi', '': '' };
export const $ = (id) => document.getElementById(id);
export let net = '';
let keep = false;  // keep the banner through the next hash change

export function h(tag, props, ...kids) {
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

export function say(text, kind = 'error', sticky = false) {
  keep = sticky;
  const b = $('banner');
  b.replaceChildren(text ? h('p', { class: 'flash ' + kind }, text) : '');
}

// A new screen drops the last message, unless it was said for this screen.
export function unsay() {
  if (!keep) say('');
  keep = false;
}

export function setNet(state) {
  net = state;
  counts();
}

export function counts() {
  const n = box.size;
  const bad = [...box.values()].filter((e) => e.errors).length;
  const text = n ? `${n} thay đổi chờ gửi${bad ? ` (${bad} bị từ chối)` : ''}` : 'Không có thay đổi chờ gửi';
  // Rewrite live regions only on change, so screen readers do not repeat them.
  if ($('count').textContent !== text) $('count').textContent = text;
  $('outbox').className = 'outbox' + (n ? ' waiting' : '');
  $('send').hidden = !auth || !auth.token || n === bad;
  const badge = $('net');
  if (badge.textContent !== NET[net]) badge.textContent = NET[net];
  badge.className = 'net ' + net;
  const skew = store.get('skew');
  const old = $('skew');
  if (old) old.remove();
  if (skew != null && Math.abs(skew) > R.max_clock_ahead_ms) $('banner').before(clockBanner(skew));
}

// Ahead, the laptop refuses every change (SPEC §3); behind, another's earlier edit can win.
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

export const editing = () => location.hash.startsWith('#e=') || location.hash.startsWith('#n=');

export function go(hash) { location.hash = hash; }

export function errorText(errors) {
  return Object.entries(errors).map(([k, m]) => (k.startsWith('data.') ? m : `${ENV[k] || k}: ${m}`));
}
