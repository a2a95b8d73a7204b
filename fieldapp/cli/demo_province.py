"""The demo's third tier: a province (Đồng Nai) that has taken roll-ups from the demo
commune and from a few smaller generated communes, so `fieldapp demo` shows village,
commune and province. Its own random stream: the villages' data stays as it was."""
import os
import random

from fieldapp.auth.accounts import add_user

__all__ = ["build_province", "link_province", "PROVINCE", "SMALL_COMMUNES", "OWN_TARGETS"]

PROVINCE = "75"                                  # Đồng Nai
# (official code, villages with households, last day its roll-up counts to)
SMALL_COMMUNES = [
    ("26068", (("kp-1", "Khu phố 1", 45), ("kp-2", "Khu phố 2", 35)), 4),
    ("26041", (("kp-1", "Khu phố 1", 40),), 4),
    ("26017", (("ap-1", "Ấp 1", 30), ("ap-2", "Ấp 2", 30)), 2),     # two weeks behind
]
# a province plan's own targets for some communes (the others follow the province's)
OWN_TARGETS = {"25264": {"adult_online_usage": 0.6}, "26017": {"adult_online_usage": 0.4,
                                                                "households_visited": 0.9}}


def build_province(summary, start, end, password, village_versions, retention_days,
                   staff_names):
    """Make the province under `summary.root`/province; return its directory.

    `village_versions(village_id, households, authors, rng, fake)` is the demo's own
    generator of a village's campaign, reused for the small communes' villages;
    `retention_days` keeps their data as long as the demo's own; `staff_names` names the
    holders of its accounts."""
    from faker import Faker

    from fieldapp.indicators.periods import periods_from_settings
    from fieldapp.province.rollup import make_rollup
    from fieldapp.province.store import import_rollup
    from fieldapp.site import Site, init_province_site, init_site
    from sync.rollup import rollup_bytes
    rng = random.Random("province")
    fake = Faker("vi_VN")
    fake.seed_instance(75)
    province_dir = os.path.join(summary.root, "province")
    init_province_site(province_dir, PROVINCE, start, end)
    province = Site(province_dir)
    province.update_settings(lambda settings: [c.update(targets=dict(OWN_TARGETS[c["code"]]))
                                               for c in settings["communes"]
                                               if c["code"] in OWN_TARGETS])
    for username, role in (("canbotinh", "staff"), ("quantri", "admin")):
        add_user(province, username, role, password, full_name=staff_names[username])
    commune = Site(summary.commune_dir)
    import_rollup(province, rollup_bytes(make_rollup(commune, end)))
    commune.close()
    for code, villages, weeks in SMALL_COMMUNES:
        site_dir = os.path.join(summary.root, "communes", code)
        init_site(site_dir, "commune", code,
                  [{"id": v, "name": n, "adult_population": None, "targets": {}}
                   for v, n, _ in villages], start, end)
        site = Site(site_dir)
        site.update_settings(lambda settings: settings.update(retention_days=retention_days))
        for village_id, _, households in villages:
            authors = [f"tnv{n}.{code}" for n in (1, 2)]
            site.store.submit(village_versions(village_id, households, authors, rng, fake))
        last = periods_from_settings(site.settings["campaign"])[weeks - 1].end
        import_rollup(province, rollup_bytes(make_rollup(site, min(last, end))))
        site.close()
    province.close()
    return province_dir


def link_province(summary, province_url):
    """Give the demo commune a push token of the province at `province_url` and the
    province's key, so its "Gửi lên tỉnh" button sends a sealed roll-up over the network."""
    from fieldapp.auth.push_tokens import issue_rollup_token
    from fieldapp.site import Site
    from sync import crypto
    province = Site(os.path.join(summary.root, "province"))
    commune = Site(summary.commune_dir)
    code = commune.settings["commune_code"]
    token, _ = issue_rollup_token(province, code, f"Máy của {commune.settings['commune_name']}"
                                                  " (dữ liệu mẫu)", "quantri")
    key = crypto.create_box_key(province.data_dir)
    commune.update_settings(lambda settings: settings.update(
        push={"url": province_url, "token": token}, province_public_key=key))
    province.close()
    commune.close()
