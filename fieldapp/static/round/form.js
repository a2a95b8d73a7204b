// The record form, built from the rules: checked, then saved on the phone and queued.
import { box, live, uuid } from './storage.js';
import { R, check, choices, today } from './rules.js';
import { errorText, go, h, say } from './page.js';
import { save } from './outbox.js';

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

export function formView(type, version, parent) {
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
