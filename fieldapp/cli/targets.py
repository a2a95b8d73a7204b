"""`fieldapp targets --file`: a plan's annex of targets from a CSV or .xlsx table; at a
province one row per commune, at a commune one row per village. Every row or nothing."""
import click

__all__ = ["targets"]


@click.command()
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False),
              help="The table (.csv UTF-8 with or without BOM, or .xlsx): at a province "
                   "Mã xã, Tên xã and the targets (%); at a commune the villages' annex.")
@click.pass_obj
def targets(obj, path):
    """Load targets from a table like the plan's annex: the province's per-commune targets,
    or a commune's villages, populations and targets. Nothing is saved unless every cell
    is valid; each error names its row and column."""
    from fieldapp import audit
    from fieldapp.indicators import annex
    from fieldapp.province import targets as table
    site = obj.site()
    if site.kind not in ("province", "commune"):
        raise click.ClickException("Chỉ máy của tỉnh (chỉ tiêu các xã) hoặc của xã (phụ lục "
                                   "các thôn) nhận tệp chỉ tiêu.")
    try:
        with open(path, "rb") as handle:
            content = handle.read(table.MAX_BYTES + 1)
    except OSError as error:
        raise click.ClickException(f"Không đọc được {path}: {error.strerror}.") from None
    try:
        if site.kind == "province":
            rows, keys, errors = table.read_targets_file(site.settings, content)
        elif len(content) > table.MAX_BYTES:
            raise annex.AnnexError(f"Tệp quá lớn (tối đa {table.MAX_BYTES // 1024} KB).")
        else:
            rows, errors = annex.read_annex_csv(content)
    except annex.AnnexError as error:
        errors = [error.message]
    if errors:
        for line in errors:
            click.echo(line, err=True)
        audit.record(site, "cli", "commune_targets.import.refused" if site.kind == "province"
                     else "villages.import.refused", count=len(errors))
        raise click.ClickException(f"Chưa lưu gì: tệp có {len(errors)} lỗi.")
    if site.kind == "province":
        site.update_settings(lambda stored: stored.__setitem__(
            "communes", table.apply_targets(stored.get("communes", []), rows, keys)))
        audit.record(site, "cli", "commune_targets.cli", ids=[r["code"] for r in rows],
                     count=len(rows))
        click.echo(f"Đã nhập chỉ tiêu của {len(rows)} xã từ {path}.")
        return
    added = [r["id"] for r in rows if r["id"] not in site.village_ids]
    site.update_settings(lambda stored: stored.__setitem__(
        "villages", annex.merge_villages(stored.get("villages", []), rows)))
    audit.record(site, "cli", "villages.import", count=len(rows), added=added)
    click.echo(f"Đã nhập {len(rows)} thôn từ {path} ({len(added)} thôn mới).")
