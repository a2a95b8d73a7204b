// The household list's filters, its grouping by xóm, tổ, and "Hôm nay tôi đã …".
import { auth, live, view } from './storage.js';
import { label, today } from './rules.js';
import { h } from './page.js';

const FILTERS = [['', 'Tất cả', () => 1], ['unmet', 'Chưa gặp', (s) => !s?.met],
  ['absent', 'Vắng nhà', (s) => s?.last.data.outcome === 'absent']];
const ss = sessionStorage;
const at = (v) => v.data.visited_on + v.updated_at;
const ham = ([v]) => v.data.hamlet || '';
const byHamlet = () => ss.getItem('s') === '1';

// household id -> {met: some visit met someone, last: the latest visit}
export function visits() {
  const seen = new Map();
  for (const v of live('visit')) {
    const s = seen.get(v.data.household_id) || { met: false, last: v };
    s.met ||= v.data.outcome === 'met';
    if (at(v) > at(s.last)) s.last = v;
    seen.set(v.data.household_id, s);
  }
  return seen;
}

export const tag = (s) => s && h('em', { class: s.met ? 'tag ok' : 'tag' },
  s.met ? 'đã gặp' : 'đã đến, ' + label('outcome', s.last.data.outcome).toLowerCase());

// The rows the chosen filter keeps; by xóm, tổ (stable: by name within one; none last).
export function shown(rows, seen) {
  const keep = FILTERS.find(([k]) => k === (ss.getItem('f') || ''))[2];
  rows = rows.filter(([v]) => keep(seen.get(v.id)));
  return byHamlet() ? rows.sort((a, b) => !ham(a) - !ham(b) || ham(a).localeCompare(ham(b), 'vi')) : rows;
}

// The list items, under a heading per xóm, tổ when sorted by it.
export function grouped(rows, item) {
  let last = null;
  return rows.flatMap((r) => [byHamlet() && ham(r) !== last &&
    h('li', { class: 'group' }, (last = ham(r)) || 'Chưa ghi xóm, tổ'), item(r)].filter(Boolean));
}

export function choosers(fill) {
  const bar = h('div', { class: 'chips', role: 'group', 'aria-label': 'Lọc hộ' });
  const draw = () => bar.replaceChildren(...FILTERS.map(([k, text]) => h('button', { type: 'button',
    'aria-pressed': String((ss.getItem('f') || '') === k), onclick: () => { ss.setItem('f', k); draw(); fill(); } }, text)));
  draw();
  return [bar, h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'by-hamlet', checked: byHamlet(),
    onchange: (e) => { ss.setItem('s', e.target.checked ? '1' : ''); fill(); } }), 'Xếp theo xóm, tổ')];
}

export function todayCard() {
  const mine = live('visit', (v) => v.author === auth.user.username && v.data.visited_on === today());
  const met = mine.filter((v) => v.data.outcome === 'met').length;
  return h('details', { class: 'card', id: 'today' },
    h('summary', {}, `Hôm nay tôi đã ghi ${mine.length} lần đến nhà` + (mine.length ? `, gặp được ${met}` : '')),
    h('ul', { class: 'list' }, mine.map((v) => h('li', {}, h('a', { href: '#h=' + v.data.household_id },
      h('strong', {}, view.get(v.data.household_id)?.data.head_name),
      h('span', {}, label('outcome', v.data.outcome)))))));
}
