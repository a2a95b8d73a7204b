// The village's data off the phone: on sign-out, a disabled account, 14 days unsynced.
import { box, reload, setAuth, store } from './storage.js';

export const WIPE_DAYS = 14;

// Never an unsent change without asking.
export const agree = (why, n = box.size) => !n || confirm(`${why}\nĐiện thoại còn ${n} thay đổi chưa ` +
  `gửi. Xóa dữ liệu của thôn khỏi điện thoại, cả ${n} thay đổi này? Bấm “Hủy” để giữ lại tất cả.`);

// All but the device id (the lead's view of phones keeps one row per device).
export function wipe() {
  for (const k of store.keys('')) if (k !== 'device') store.del(k);
  sessionStorage.clear();
  setAuth(null);
  reload();
}

export function synced() {
  try { store.set('synced', Date.now()); } catch (e) { /* full: the older time stays */ }
}

export const stale = () => Date.now() - (store.get('synced') ?? Date.now()) > WIPE_DAYS * 864e5;
