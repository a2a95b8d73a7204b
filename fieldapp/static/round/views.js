// The screens (sign-in, households, one household) and signing in and out.
import { auth, box, device, fold, forget, index, live, reload, setAuth, store, view } from './storage.js';
import { BOOT, R, label } from './rules.js';
import { $, counts, errorText, h, say } from './page.js';
import { NetError, api, sync } from './outbox.js';
import { formView } from './form.js';

let notice = null;

const vnDate = (s) => (s ? s.slice(0, 10).split('-').reverse().join('/') : '');
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

// Render again without taking the keyboard away from someone typing a search.
export function rerender() {
  const typing = document.activeElement && document.activeElement.id === 'q';
  render();
  if (typing && $('q')) $('q').focus();
}

function signedIn(answer) {
  const other = [...box.values()][0]?.v.author;
  if (other && other !== answer.user.username) {
    // the token just issued is handed back, not left valid with nobody holding it
    fetch('/api/v1/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + answer.token },
      cache: 'no-store', credentials: 'omit' }).catch(() => {});
    throw new Error(`Điện thoại này còn ${box.size} thay đổi của ${other} chưa gửi. ` +
      `Hãy để ${other} đăng nhập và gửi xong trước.`);
  }
  if (!auth || !auth.user || auth.user.village_id !== answer.user.village_id) forget();
  setAuth({ token: answer.token, user: answer.user });
  notice = null;
  store.set('auth', auth);
  restart();
  sync(true);
}

export function signedOut(message) {
  setAuth(auth && { token: null, user: auth.user });
  store.set('auth', auth);
  const n = box.size;
  notice = message + (n ? ` ${n} thay đổi chờ gửi vẫn còn nguyên trên máy; đăng nhập lại để gửi.` : '');
  say('');
  render();
}

async function signOut() {
  if (box.size) { say('Còn thay đổi chưa gửi: hãy gửi xong rồi mới đăng xuất.'); return; }
  api('POST', '/api/v1/logout', {}).catch(() => {});
  forget();
  store.del('auth');
  setAuth(null);
  restart();
}

function restart() {
  reload();
  location.hash = '';
  render();
}

export async function redeemCard(code) {
  history.replaceState(null, '', location.pathname);
  try {
    signedIn(await api('POST', '/api/v1/login/card', { code }, true));
  } catch (e) {
    notice = e instanceof NetError ? 'Không kết nối được máy thôn để dùng thẻ. Hãy nối Wi-Fi của máy thôn rồi quét lại.' : e.message;
    render();
  }
}

export function render() {
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
    attempt(form.querySelector('button'), msg, api('POST', '/api/v1/login', { username, secret }, true));
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

// Sign in with a login call's answer, or say in `msg` why not.
async function attempt(button, msg, call) {
  button.disabled = true;
  try {
    signedIn(await call);
  } catch (e) {
    msg.className = 'flash error';
    msg.textContent = e instanceof NetError ? 'Không kết nối được máy thôn. Hãy nối Wi-Fi của máy thôn rồi thử lại.' : e.message;
    button.disabled = false;
  }
}

// Signed in on the village pages in this browser: one tap, no PIN.
function sessionButton(msg) {
  const s = BOOT.session;
  if (!s) return null;
  const button = h('button', { class: 'primary wide', type: 'button', id: 'as-session',
    onclick: () => attempt(button, msg, api('POST', '/round/session-token', null, true, s.csrf)) },
  `Tiếp tục với tài khoản ${s.username}`);
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

