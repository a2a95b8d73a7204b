// The record checks of fieldapp/forms/rules.py, from the rules it puts in the page.
export const BOOT = JSON.parse(document.getElementById('boot').textContent);
export const R = BOOT.rules;
export const choices = {};
for (const [k, list] of Object.entries(R.choices)) choices[k] = new Map(list);
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const LONE = /[\ud800-\udfff]/u;   // with the u flag only a half without its pair matches
const LETTER = /\p{L}/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PHONE = new RegExp(R.phone_pattern);

export const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
export const label = (set, key) => (choices[set] && choices[set].get(key)) || key;

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
