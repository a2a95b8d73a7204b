// The round app (SPEC §5a): every module loads at start, none later, out of Wi-Fi range.
import { P, auth, box, reload, setAuth, store } from './storage.js';
import { $, counts, editing, h, say, setNet, unsay } from './page.js';
import { hooks, lastPull, sync, unlock } from './outbox.js';
import { expire, redeemCard, render, rerender, signedOut } from './views.js';

function start() {
  try { localStorage.setItem(P + 'probe', '1'); localStorage.removeItem(P + 'probe'); }
  catch (e) {
    $('main').replaceChildren(h('p', { class: 'flash error' }, 'Trình duyệt không cho lưu dữ liệu (chế độ ẩn danh hoặc bộ nhớ đầy). Hãy mở bằng cửa sổ thường.'));
    return;
  }
  Object.assign(hooks, { signedOut, rerender });
  reload();
  expire();
  window.addEventListener('hashchange', () => {
    unsay();
    render();
    window.scrollTo(0, 0);
    $('main').focus({ preventScroll: true });  // screen readers start at the new view
  });
  let later = 0;
  window.addEventListener('storage', (e) => {
    if (!e.key || !e.key.startsWith(P) || e.key === P + 'lock') return;
    clearTimeout(later);
    later = setTimeout(() => {
      setAuth(store.get('auth'));
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
  setInterval(() => { expire(); if (box.size || Date.now() - lastPull > 60000) sync(); }, 15000);
  const card = /^#card=([A-Za-z0-9_-]{16,64})$/.exec(location.hash);
  if (card) { redeemCard(card[1]); return; }
  render();
  sync();
}

start();
