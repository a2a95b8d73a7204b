"""A seeded, realistic demo commune: village laptops with four weeks of door-to-door work.

Layout under the data directory:  villages/<village-id>/  one village site each,
commune/  the commune centre, which receives the villages' work as sync batches, and
province/  the province, which holds only roll-ups. The records themselves are made up in
demo_records.py, the province in demo_province.py.
"""
import datetime
import os
import random
import shutil
from dataclasses import dataclass, field

from fieldapp.auth.accounts import add_user
from fieldapp.cli.demo_records import END, START, honest_forks, roster_versions, village_versions
from fieldapp.forms.text import vn_number

__all__ = ["build_demo", "link_push", "DemoSummary", "DEMO_COMMUNE", "DEMO_VILLAGES",
           "LEAD_PIN", "VOLUNTEER_PIN", "STAFF_PASSWORD", "WIFI_PASSWORD"]

DEMO_COMMUNE = "25264"                      # Xã Phú Riềng, Đồng Nai
DEMO_VILLAGES = [  # id, name, households, official adult population (None: not known)
    ("phu-binh", "Thôn Phú Bình", 210, 560),
    ("phu-hung", "Thôn Phú Hưng", 190, None),
    ("phu-thinh", "Thôn Phú Thịnh", 220, 600),
    ("phu-tam", "Thôn Phú Tâm", 180, None),
    ("phu-loi", "Thôn Phú Lợi", 200, 540),
]
LEAD_PIN, VOLUNTEER_PIN, STAFF_PASSWORD = "135790", "246802", "phurieng-2025"
# the made-up people holding the demo's staff and admin accounts (volunteers' names are on
# their village's team roster)
STAFF_NAMES = {"quantri": "Đỗ Văn Quang", "canbo": "Phạm Thị Bích Ngọc",
               "canbotinh": "Lê Minh Tuấn"}
WIFI_PASSWORD = "phurieng2025"     # the made-up Wi-Fi of every demo laptop, for its Wi-Fi card
MARKER = ".fieldapp-demo"


def demo_retention_days(today=None):
    """Retention days that keep the demo's 2025 data 180 days from `today` (the default
    retention from the campaign's end would purge it as soon as a demo site is served);
    the notice and the privacy report show this number."""
    return max(0, ((today or datetime.date.today()) - END).days) + 180


@dataclass
class DemoSummary:
    """What was built and how to sign in."""
    root: str
    villages: list = field(default_factory=list)     # (id, name, dir, lead, volunteers)
    commune_dir: str = ""
    province_dir: str = ""
    counts: dict = field(default_factory=dict)

    def describe(self, village_url=None, commune_url=None, province_url=None):
        """The text printed for the person running the demo."""
        lines = [f"Dữ liệu mẫu (bịa ra, không phải người thật): {self.root}",
                 f"  {vn_number(self.counts.get('household', 0))} hộ, "
                 f"{vn_number(self.counts.get('person', 0))} người, "
                 f"{vn_number(self.counts.get('visit', 0))} lần đến nhà, "
                 f"{vn_number(self.counts.get('survey', 0))} khảo sát "
                 f"ở {len(self.villages)} thôn của xã Phú Riềng (25/07–25/08/2025)."]
        first = self.villages[0]
        lines.append(f"Máy của {first[1]}" + (f": {village_url}" if village_url else "")
                     + f"  (dữ liệu: {first[2]})")
        lines.append(f"  tổ trưởng: {first[3]} / PIN {LEAD_PIN}")
        lines.append(f"  tình nguyện viên: {', '.join(first[4])} / PIN {VOLUNTEER_PIN}")
        lines.append(f"  quản trị của thôn: quantri / mật khẩu {STAFF_PASSWORD}")
        lines.append("Trung tâm xã" + (f": {commune_url}" if commune_url else "")
                     + f"  (dữ liệu: {self.commune_dir})")
        lines.append(f"  cán bộ xã: canbo / mật khẩu {STAFF_PASSWORD}")
        lines.append(f"  quản trị: quantri / mật khẩu {STAFF_PASSWORD}")
        if self.province_dir:
            lines.append("Tỉnh Đồng Nai (chỉ số liệu tổng hợp của các xã)"
                         + (f": {province_url}" if province_url else "")
                         + f"  (dữ liệu: {self.province_dir})")
            lines.append(f"  cán bộ tỉnh: canbotinh / mật khẩu {STAFF_PASSWORD}")
        return "\n".join(lines)


def _subject_requests(site, village_id, lead, versions):
    """Two requests of citizens about their data, open: one to see (received yesterday,
    still to be answered), one to correct that is overdue, so the lead's dashboard and
    page show both."""
    from fieldapp import subject_requests
    from fieldapp.indicators.periods import today_local
    homes = [v["id"] for v in versions if v["type"] == "household"]
    rng = random.Random(village_id)     # its own: the demo's other data does not depend on it
    late = subject_requests.request_days(site.settings) + 2
    for kind, days_ago in (("see", 1), ("correct", late)):
        subject_requests.open_request(site, lead, kind, "household", rng.choice(homes), village_id,
                                      today_local() - datetime.timedelta(days=days_ago))


def _procedure_figures(commune, rng):
    """Four weeks of the one-stop shop's figures, improving week by week, and a baseline."""
    from fieldapp.indicators.procedures import AREAS, save_figures
    volume = {"land": 60, "construction": 15, "investment": 4, "civil_status": 120,
              "social_insurance": 50, "business": 20, "other": 25}
    by_period = {}
    for week in range(1, 5):
        rows = {}
        for area in AREAS:
            received = rng.randint(volume[area] // 2, volume[area])
            online = int(received * min(0.35 + 0.1 * week + rng.uniform(-0.05, 0.05), 1))
            settled = rng.randint(received * 3 // 4, received)
            with_fee = int(settled * (0.6 if area in ("land", "construction", "business") else 0.2))
            rows[area] = {"received": received, "received_online": online,
                          "full_online": min(int(online * (0.5 + 0.08 * week)), settled),
                          "settled": settled, "with_fee": with_fee,
                          "paid_online": int(with_fee * min(0.3 + 0.1 * week, 1)),
                          "digitised": int(received * min(0.6 + 0.07 * week, 1))}
        by_period[week] = rows
    save_figures(commune, by_period, "canbo")
    commune.save_settings(dict(commune.settings, procedure_baseline={
        "year": 2024, "values": {"full_online_rate": 0.0756, "online_payment_rate": 0.4398}}))


def build_demo(root, seed=2025):
    """Build the demo under `root` (replacing an earlier demo there); return a DemoSummary."""
    from faker import Faker

    from fieldapp.site import Site, init_site
    if os.path.exists(root) and os.listdir(root):
        if not os.path.exists(os.path.join(root, MARKER)):
            raise SystemExit(f"{root} đã có dữ liệu không phải dữ liệu mẫu; hãy chọn --data khác.")
        shutil.rmtree(root)
    os.makedirs(root)
    open(os.path.join(root, MARKER), "w").close()
    rng = random.Random(seed)
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    summary = DemoSummary(root)
    for village_id, name, households, adults in DEMO_VILLAGES:
        site_dir = os.path.join(root, "villages", village_id)
        init_site(site_dir, "village", DEMO_COMMUNE,
                  [{"id": village_id, "name": name, "adult_population": adults, "targets": {}}],
                  START, END)
        site = Site(site_dir)
        short = village_id.replace("-", "")
        site.update_settings(lambda settings, short=short: settings.update(
            wifi={"ssid": f"fieldapp-{short}", "password": WIFI_PASSWORD},
            retention_days=demo_retention_days()))
        lead, volunteers = f"truong.{short}", [f"tnv{n}.{short}" for n in (1, 2, 3)]
        add_user(site, lead, "lead", LEAD_PIN, village_id)
        for username in volunteers:
            add_user(site, username, "volunteer", VOLUNTEER_PIN, village_id)
        add_user(site, "quantri", "admin", STAFF_PASSWORD, full_name=STAFF_NAMES["quantri"])
        versions = village_versions(village_id, households, volunteers + [lead], rng, fake)
        versions += honest_forks(versions, volunteers + [lead], rng)
        versions += roster_versions(site, village_id, lead, volunteers, rng, fake)
        site.store.submit(versions)
        if not summary.villages:        # the first laptop shows the requests about data
            _subject_requests(site, village_id, lead, versions)
        summary.villages.append((village_id, name, site_dir, lead, volunteers))
        site.close()
    summary.counts = _record_counts(summary)
    summary.commune_dir = os.path.join(root, "commune")
    init_site(summary.commune_dir, "commune", DEMO_COMMUNE,
              [{"id": v[0], "name": v[1], "adult_population": v[3], "targets": {}}
               for v in DEMO_VILLAGES], START, END)
    commune = Site(summary.commune_dir)
    commune.update_settings(lambda settings: settings.update(
        retention_days=demo_retention_days()))
    for username, role in (("canbo", "staff"), ("quantri", "admin")):
        add_user(commune, username, role, STAFF_PASSWORD, full_name=STAFF_NAMES[username])
    _procedure_figures(commune, rng)
    commune.close()
    _send_batches(summary)
    from fieldapp.cli.demo_province import build_province
    summary.province_dir = build_province(summary, START, END, STAFF_PASSWORD, village_versions,
                                          demo_retention_days(), STAFF_NAMES)
    return summary


def _record_counts(summary):
    """{record type: current versions} over the demo's village laptops."""
    from fieldapp.site import Site
    counts = {}
    for village in summary.villages:
        site = Site(village[2])
        for version in site.store.currents():
            counts[version["type"]] = counts.get(version["type"], 0) + 1
        site.close()
    return counts


def _send_batches(summary):
    """Each village learns the commune's key, exports a batch sealed for it, and the commune
    imports it, as `commune-key`, `export` and `import` do."""
    from fieldapp.site import Site
    from sync import crypto
    from sync.batch import batch_bytes
    from sync.export import export_batch
    from sync.transfer import import_batch
    commune = Site(summary.commune_dir)
    key = crypto.box_public_key(commune.data_dir)
    for village in summary.villages:
        site = Site(village[2])
        site.update_settings(lambda settings: settings.update(commune_public_key=key))
        batch = export_batch(site, all_versions=True)
        import_batch(commune, crypto.seal(batch_bytes(batch), key))
        site.close()
    commune.close()


def link_push(summary, commune_url):
    """Give the first village laptop a push token of the commune centre at `commune_url`,
    so its /export page can send over the network as a configured laptop does."""
    from fieldapp.auth.push_tokens import issue_push_token
    from fieldapp.site import Site
    village_id, name, site_dir = summary.villages[0][:3]
    commune = Site(summary.commune_dir)
    token = issue_push_token(commune, village_id, f"Máy của {name} (dữ liệu mẫu)", "quantri")
    commune.close()
    site = Site(site_dir)
    site.update_settings(lambda settings: settings.update(push={"url": commune_url,
                                                                "token": token}))
    site.close()
