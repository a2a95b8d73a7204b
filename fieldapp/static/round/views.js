// The screens (sign-in, households, a household, the record form) and signing in and out.
import { auth, box, device, fold, forget, index, live, reload, setAuth, store, uuid, view } from './storage.js';
import { BOOT, R, check, choices, clean, label, today } from './rules.js';
import { $, counts, errorText, go, h, say } from './page.js';
import { NetError, api, save, sync } from './outbox.js';
import { choosers, grouped, shown, tag, todayCard, visits } from './lists.js';
import { WIPE_DAYS, agree, stale, synced, wipe } from './wipe.js';

let notice = null;

const vnDate = (s) => (s ? s.slice(0, 10).split('-').reverse().join('/') : '');
function title(v) {
  const d = v.data || {};
  if (v.type === 'household') return d.head_name;
  if (v.type === 'person') return d.full_name;
  if (v.type === 'visit') return `Đến nhà ${vnDate(d.visited_on)}`;
  return `Khảo sát ${vnDate(d.surveyed_on)}`;
}

// Edited on two devices (SPEC §3), as the laptop said.
const forkedTag = (v, forked) => (forked.has(v.id) ? h('em', { class: 'tag bad' }, 'sửa trên hai máy') : null);
const forkedIds = () => new Set(store.get('forked') || []);

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
  synced();
  restart();
  sync(true);
}

export function signedOut(message, disabled) {
  if (disabled && agree(message)) {
    wipe();
    notice = message + ' Dữ liệu của thôn đã được xóa khỏi điện thoại.';
    return restart();
  }
  setAuth(auth && { token: null, user: auth.user });
  store.set('auth', auth);
  const n = box.size;
  notice = message + (n ? ` ${n} thay đổi chờ gửi vẫn còn nguyên trên máy; đăng nhập lại để gửi.` : '');
  say('');
  render();
}

async function signOut() {
  if (!agree('Đăng xuất sẽ xóa dữ liệu của thôn khỏi điện thoại này.')) return;
  api('POST', '/api/v1/logout', {}).catch(() => {});
  wipe();
  restart();
}

// Asked once a page load: a phone not synced for WIPE_DAYS loses the village's data.
let asked = false;
export function expire() {
  const why = `Điện thoại đã ${WIPE_DAYS} ngày chưa đồng bộ với máy thôn.`;
  if (asked || !auth || !stale()) return;
  asked = true;
  if (agree(why)) { wipe(); notice = why + ' Dữ liệu của thôn đã được xóa khỏi điện thoại; hãy đăng nhập lại.'; restart(); }
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
  `Tiếp tục với tài khoản của ${s.name}`);
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
    const seen = visits();
    const hits = shown(needle ? index.filter(([, text]) => text.includes(needle)) : index, seen);
    const forked = forkedIds();
    list.replaceChildren(...grouped(hits.slice(0, 60), ([v]) => h('li', {},
      h('a', { href: '#h=' + v.id }, h('strong', {}, v.data.head_name),
        h('span', {}, [v.data.hamlet, v.data.address].filter(Boolean).join(' · ')), tag(seen.get(v.id)), forkedTag(v, forked), mark(v)))));
    if (!hits.length) list.append(h('li', { class: 'empty' }, index.length ? 'Không tìm thấy hộ nào.' : 'Chưa có hộ nào trên máy.'));
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
    todayCard(),
    h('div', { class: 'field' }, h('label', { for: 'q' }, 'Tìm hộ'), q),
    h('a', { class: 'button primary wide', href: '#n=household' }, '+ Thêm hộ mới'),
    choosers(fill), info, list,
    h('p', { class: 'row' }, h('button', { type: 'button', onclick: signOut }, 'Đăng xuất'),
      auth.user.role === 'lead' ? h('a', { class: 'button', href: '/round/cards' }, 'Thẻ đăng nhập QR') : null,
      h('a', { class: 'button', href: '/' }, 'Trang máy thôn'),
      h('span', { class: 'hint' }, `${auth.user.name || auth.user.username} · máy ${device}`)));
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
    h('p', { class: 'sub' }, [d.hamlet, d.address, d.phone].filter(Boolean).join(' · ')),
    d.note ? h('p', {}, d.note) : null,
    forkedIds().has(hh.id) ? h('p', { class: 'card rejected', id: 'forked' },
      'Hộ này (hoặc một người, một lần đến nhà của hộ) được sửa trên hai máy mà máy này không thấy bản kia. ' +
      'Không mất gì: máy thôn giữ cả hai bản, tổ trưởng sẽ chọn bản đúng.',
      auth.user.role === 'lead' ? h('a', { class: 'button', href: '/conflicts' }, 'Mở trang Xung đột') : null) : null,
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

// The record form, built from the rules: checked, then saved on the phone and queued.
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
      // the likely answer preset: one tap less
      const chosen = value ?? { outcome: 'met', vneid: 'none' }[rule.name];
      if (opts.length <= 4) return group('radio', (k) => k === chosen);
      return [h('label', { for: id }, rule.label, req), h('select', { id, name: rule.name, 'aria-describedby': desc },
        h('option', { value: '' }, '— Chọn —'), opts.map(([k, text]) => h('option', { value: k, selected: k === chosen }, text)))];
    }
    case 'consent': {  // read the notice, then tick what is agreed: nothing ticked before
      const c = value || {};
      return [h('a', { href: '/guides/quyen-rieng-tu', target: '_blank' }, 'Đọc thông báo'), group('checkbox', (k) => c.purposes?.includes(k)),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'c-by', checked: c.by === 'guardian' }), h('span', {}, 'Người giám hộ đồng ý thay')),
        h('label', { for: 'c-on' }, 'Ngày đồng ý'), h('input', { type: 'date', id: 'c-on', name: 'c-on', value: c.on || today() })];
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
    if (rule.kind === 'consent') {  // as forms/consent.py consent_from_form
      const p = [...form.querySelectorAll('input[name="consent"]:checked')].map((x) => x.value), on = els['c-on'].value, was = form.was || {};
      if (p.length) data.consent = { notice_version: was.on === on ? was.notice_version : R.notice_version, purposes: p, by: els['c-by'].checked ? 'guardian' : 'self', on };
      continue;
    }
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
    if (rule.kind === 'text' || rule.kind === 'phone') v = clean(rule, v);
    else if (rule.kind === 'year') v = /^\s*\d+\s*$/.test(v) ? parseInt(v, 10) : v;
    else if (rule.kind === 'rating') v = Number(v);
    data[rule.name] = v;
  }
  return data;
}

function formView(type, version, parent) {
  const rules = R.types[type];
  const name = R.type_labels[type];
  const data = version ? version.data : {};
  parent = parent || data.household_id;
  const pending = version && box.get(version.id);
  const top = h('div', { id: 'form-errors', role: 'alert' });
  const form = h('form', { class: 'card', novalidate: true, id: 'record-form' },
    rules.map((rule) => h('div', { class: 'field', id: 'f-' + rule.name },
      input(rule, data[rule.name], parent), h('p', { class: 'err', id: 'e-' + rule.name }))),
    h('button', { class: 'primary wide', type: 'submit' }, 'Lưu trên điện thoại'));
  form.was = data.consent;
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
      say(`Đã lưu ${name.toLowerCase()} trên điện thoại.`, 'ok', true);
      go(type === 'household' ? '#h=' + v.id : '#h=' + parent);
    } catch (e) {
      say(e.message);
    }
  });
  if (pending && pending.errors) show(pending.errors);
  return h('section', {},
    h('a', { href: version ? (type === 'household' ? '#h=' + version.id : '#h=' + parent) : (parent ? '#h=' + parent : '#'), class: 'back', onclick: (ev) => { ev.preventDefault(); back(); } }, '← Quay lại'),
    h('h2', {}, (version ? 'Sửa: ' : 'Thêm: ') + name),
    top, form,
    version ? h('button', { type: 'button', class: 'danger', onclick: () => {
      if (!confirm(`Xóa ${name.toLowerCase()} này?`)) return;
      try { save(type, version.id, version.data, true); say('Đã xóa trên điện thoại.', 'ok', true); go(type === 'household' ? '#' : '#h=' + parent); }
      catch (e) { say(e.message); }
    } }, 'Xóa') : null);
}
