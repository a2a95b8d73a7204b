// forms/rules.py's checks, from the rules in the page (tests/browser/test_round_rules_*).
export const BOOT = JSON.parse(document.getElementById('boot').textContent);
export const R = BOOT.rules;
// each field came as a list (views/round.py _lean)
for (const t in R.types) R.types[t] = R.types[t].map(([name, kind, label, required, max_length, choices, multiline]) => ({ name, kind, label, required, max_length, choices, multiline, needs_letter: required && kind === 'text' }));
export const choices = {};
for (const [k, list] of Object.entries(R.choices)) choices[k] = new Map(list);
const CONTROL = new RegExp(R.control_pattern, 'u');  // with u, only a half without its pair
const BIDI = new RegExp(R.bidi_pattern);
const PHONE = new RegExp(R.phone_pattern);
const LETTER = /\p{L}/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// what Python's strip() takes: trim() takes U+FEFF too, and not \x1c-\x1f or \x85
const WS = '[\\t-\\r\\x1c- \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
const EDGES = new RegExp(`^${WS}|${WS}$`, 'g');

export const tidy = (s) => s.normalize('NFC').replace(EDGES, '');
// as stored: a valid phone as digits, +84 made 0
export const clean = (rule, s) => {
  s = tidy(s);
  const d = s.replace(/\D/g, '');
  return rule.kind != 'phone' || !PHONE.test(s) ? s : s.startsWith('+84') ? 0 + d.slice(2) : (s[0] == '+' ? '+' : '') + d;
};
export const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
export const label = (set, key) => (choices[set] && choices[set].get(key)) || key;

// {field: message} for a record's data, judged on `day` (YYYY-MM-DD).
export function check(type, data, day = today()) {
  const rules = R.types[type];
  const errors = Object.create(null);  // a field named __proto__ is a field like any other
  const ok = {};
  for (const k of Object.keys(data)) {
    if (!rules.some((r) => r.name === k)) errors[[...k].slice(0, 60).join('')] = 'trường không được phép';
  }
  for (const rule of rules) {
    let v = data[rule.name];
    if (typeof v === 'string' && (rule.kind === 'text' || rule.kind === 'phone')) v = tidy(v);
    if (v == null || v === '' || (Array.isArray(v) && !v.length)) {
      if (rule.required) errors[rule.name] = `${rule.label}: bắt buộc`;
      continue;
    }
    const why = check1(rule, v, day);
    if (why) errors[rule.name] = `${rule.label}: ${why}`;
    else ok[rule.name] = v;
  }
  // a phone only with phone_contact consent (forms/consent.py)
  if (ok.phone && !ok.consent?.purposes.includes('phone_contact')) errors.phone = 'Số điện thoại: ' + R.phone_needs_consent;
  return errors;
}

function check1(rule, v, day) {
  const set = choices[rule.choices];
  switch (rule.kind) {
    case 'text': case 'phone':
      if (typeof v !== 'string') return 'phải là chữ';
      if (CONTROL.test(v)) return 'có ký tự không hợp lệ';
      if (BIDI.test(v)) return 'có ký tự ẩn đảo chiều chữ, không được phép';
      if ([...v].length > rule.max_length) return `dài quá ${rule.max_length} ký tự`;
      if (rule.needs_letter && !LETTER.test(v)) return 'phải có ít nhất một chữ cái';
      if (rule.kind === 'phone' && !PHONE.test(v)) return 'sai dạng (ví dụ 0912 345 678)';
      return null;
    case 'year':
      if (!Number.isInteger(v)) return 'phải là số nguyên';
      if (v > Math.max(R.max_year, +day.slice(0, 4))) return 'không thể ở tương lai';
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
      if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return 'phải là ngày dạng YYYY-MM-DD';
      const at = new Date(v + 'T00:00:00Z');
      if (isNaN(at) || at.toISOString().slice(0, 10) !== v) return 'không phải ngày có thật';
      if (at - new Date(day + 'T00:00:00Z') > 86400000) return 'không thể ở tương lai';
      return at.getUTCFullYear() < 2000 ? 'ngày quá xa' : null;
    }
    case 'consent': {  // forms/consent.py's check_consent, in one message
      const p = v.purposes;
      return Object.keys(v).sort() + '' !== 'by,notice_version,on,purposes' || !R.notice_versions.includes(v.notice_version) || !Array.isArray(p) ||
        !p.every((x) => set.has(x)) || new Set(p).size < p.length || !['self', 'guardian'].includes(v.by) ? 'không hợp lệ' : check1({ kind: 'date' }, v.on, day);
    }
    default:  // ref
      return typeof v === 'string' && UUID.test(v) ? null : 'mã tham chiếu không hợp lệ';
  }
}
