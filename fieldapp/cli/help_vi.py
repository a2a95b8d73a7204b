"""The command line's help in Vietnamese, as the commune officer reads it.

The commands' docstrings stay in English for the people who work on the code; what
`fieldapp ... --help` shows comes from HELP below: per command (by its path, "" for
`fieldapp` itself), its help and each option's, by the option's long name. `apply(main)`
sets them once the commands are made. A command or option missing here keeps its
English text; tests/system/test_cli_vietnamese.py fails until it is written.
"""
import click

__all__ = ["HELP", "apply"]

DAY = "(14/08/2025 hoặc 2025-08-14)"
PASSPHRASE = ("Đọc cụm mật khẩu ở dòng đầu của tệp này (cho tập lệnh); nếu không có thì "
              "lấy $FIELDAPP_BACKUP_PASSPHRASE, rồi mới hỏi.")
HOUSEHOLD_ID = "Mã của hộ (tìm bằng `fieldapp subject find`)."
PERSON_ID = "Mã của người (tìm bằng `fieldapp subject find`)."
RECEIVED = "Ngày nhận yêu cầu (mặc định hôm nay)."
REQUEST_ID = "REQUEST_ID: mã yêu cầu, hoặc 8 ký tự đầu của mã."

HELP = {
    "": ("fieldapp: tổ công nghệ số đến từng nhà, đưa người dân lên dịch vụ công trực tuyến.", {
        "--data": "Thư mục dữ liệu (mặc định $FIELDAPP_DATA, nếu không có thì ./fieldapp-data)."}),
    "init": ("Khởi tạo thư mục dữ liệu cho máy của thôn, của xã hoặc của tỉnh.", {
        "--site": "Máy này là gì: máy của thôn, máy của xã hay máy của tỉnh.",
        "--commune": "Mã xã chính thức (ví dụ 25264); cho máy của thôn và của xã.",
        "--province": "Mã tỉnh chính thức (ví dụ 75, Đồng Nai); chỉ cho máy của tỉnh.",
        "--village-id": "Mã thôn của máy thôn, ví dụ thon-3.",
        "--village-name": "Tên thôn của máy thôn, ví dụ 'Thôn 3'.",
        "--adult-population": "Số người trưởng thành chính thức của thôn, nếu đã biết.",
        "--campaign-start": f"Ngày bắt đầu chiến dịch {DAY}; mặc định hôm nay.",
        "--campaign-end": "Ngày kết thúc chiến dịch; mặc định 30 ngày sau ngày bắt đầu.",
        "--periods": "Độ dài mỗi kỳ của chiến dịch: week (tuần) hoặc month (tháng)."}),
    "user": ("Quản lý tài khoản người dùng.", {}),
    "user add": ("Thêm một tài khoản.", {
        "--role": "volunteer (tình nguyện viên), lead (tổ trưởng thôn), staff (cán bộ xã) "
                  "hoặc admin (quản trị).",
        "--village": "Thôn của tình nguyện viên hoặc tổ trưởng.",
        "--secret": "Mã PIN 6 chữ số (tình nguyện viên, tổ trưởng) hoặc mật khẩu; không ghi "
                    "tùy chọn này thì máy sẽ hỏi.",
        "--name": "Họ và tên người dùng tài khoản (cán bộ, quản trị; tên của tổ viên nằm "
                  "trong danh sách tổ)."}),
    "user name": ("Ghi họ và tên người dùng một tài khoản (hiện thay cho tên đăng nhập).", {}),
    "backup": ("Sao lưu thư mục dữ liệu thành một tệp mã hóa bằng cụm mật khẩu, trọn vẹn "
               "cả khi máy chủ đang chạy.", {
                   "--out": "Tệp sao lưu sẽ ghi (đã mã hóa, ví dụ sao-luu.fieldapp-backup).",
                   "--passphrase-file": PASSPHRASE}),
    "restore": ("Khôi phục vào thư mục dữ liệu một bản sao lưu của `fieldapp backup`.", {
        "--force": "Thay thư mục dữ liệu đang có (thư mục cũ được để riêng, không bị xóa).",
        "--passphrase-file": PASSPHRASE,
        "--unencrypted-legacy": "Nhận cả bản sao lưu cũ, làm trước khi có mã hóa (.tar.gz)."}),
    "serve": ("Mở trang cho điện thoại trong mạng Wi-Fi của máy này.", {
        "--host": "Địa chỉ lắng nghe.",
        "--port": "Cổng lắng nghe (0: chọn một cổng còn trống)."}),
    "demo": ("Tạo một xã mẫu có dữ liệu bịa ra (các thôn, nhiều tuần đến nhà) cùng một tỉnh "
             "mẫu, và mở trang của máy thôn, máy xã và máy tỉnh.", {
                 "--port": "Cổng của máy thôn; máy xã dùng cổng kế tiếp, máy tỉnh cổng sau đó.",
                 "--host": "Địa chỉ lắng nghe: mọi mạng của máy, để điện thoại trong Wi-Fi "
                           "mở được (dữ liệu mẫu là bịa); 127.0.0.1 chỉ cho máy này.",
                 "--no-serve": "Chỉ tạo dữ liệu mẫu, không mở trang.",
                 "--seed": "Số khởi tạo ngẫu nhiên của dữ liệu mẫu: cùng số thì ra cùng "
                           "dữ liệu."}),
    "indicators": ("In các chỉ số so với chỉ tiêu.", {
        "--as-of": f"Ngày lấy số liệu {DAY}; mặc định hôm nay.",
        "--json": "In đối tượng chỉ số như API trả về (JSON)."}),
    "report": ("Ghi báo cáo tiến độ gửi Chủ tịch dạng PDF, Word hoặc Excel (theo đuôi tệp): "
               "của thôn hay của xã theo máy này, ở máy tỉnh là của tỉnh.", {
                   "--out": "Tệp sẽ ghi: .pdf, .docx (Word) hoặc .xlsx (Excel).",
                   "--period": "Số thứ tự của kỳ (tuần hoặc tháng); mặc định kỳ mới nhất đã "
                               "bắt đầu.",
                   "--as-of": f"Ngày chốt số liệu {DAY}; mặc định ngày cuối kỳ hoặc hôm nay.",
                   "--issuer": "Lưu cơ quan ban hành (ví dụ 'UBND XÃ PHÚ RIỀNG'); '' để xóa.",
                   "--symbol": "Lưu ký hiệu văn bản (ví dụ 'BC-UBND').",
                   "--signer-capacity": "Lưu thẩm quyền ký (ví dụ 'KT. CHỦ TỊCH').",
                   "--signer-title": "Lưu chức vụ người ký (ví dụ 'PHÓ CHỦ TỊCH').",
                   "--signer-name": "Lưu họ và tên người ký.",
                   "--recipient": "Lưu nơi nhận, mỗi nơi một lần ghi tùy chọn này; thay cả "
                                  "danh sách cũ."}),
    "qr": ("Ghi các tờ A4 gồm thẻ hướng dẫn, thẻ Wi-Fi và (nếu muốn) thẻ đăng nhập.", {
        "--out": "Tệp PDF sẽ ghi.",
        "--base-url": "Địa chỉ của máy này trong Wi-Fi; mặc định địa chỉ `fieldapp serve` "
                      "dùng lần trước, nếu không có thì http://<địa chỉ mạng LAN>:8080.",
        "--login-cards": "Máy của thôn: thêm một thẻ đăng nhập dùng một lần cho mỗi tình "
                         "nguyện viên và tổ trưởng đang hoạt động."}),
    "privacy-report": ("Ghi hồ sơ hoạt động xử lý và tóm tắt đánh giá tác động (Luật "
                       "91/2025/QH15, Nghị định 356/2025/NĐ-CP) từ cài đặt và dữ liệu của "
                       "máy này, dạng PDF.", {"--out": "Tệp PDF sẽ ghi."}),
    "export": ("Ghi các thay đổi của thôn thành một tệp lô dữ liệu có chữ ký (ví dụ vào "
               "USB). Khi đã có khóa công khai của xã (`fieldapp commune-key KHÓA`), tệp được "
               "mã hóa cho xã: mất USB cũng không lộ tên hay số điện thoại của ai; "
               "`--no-encrypt` ghi lô không mã hóa (.json, hoặc .json.gz nén).", {
                   "--out": "Tệp lô sẽ ghi: mã hóa cho xã khi đã có khóa của xã (đặt tên "
                            ".enc), nếu không thì JSON thường (.json, hoặc .json.gz để nén).",
                   "--all": "Xuất mọi phiên bản, không chỉ các thay đổi từ lần xuất trước.",
                   "--encrypt": "Mã hóa tệp cho khóa công khai của xã (xem `fieldapp "
                                "commune-key`). Mặc định: mã hóa khi đã có khóa, JSON thường "
                                "khi chưa; --encrypt không ghi gì nếu chưa có khóa.",
                   "--to": "Khóa công khai của xã, nếu chưa lưu trong cài đặt."}),
    "commune-key": ("Ở máy xã: in khóa công khai mà các thôn dùng để mã hóa tệp lô. Ở máy "
                    "thôn: `commune-key KHÓA` lưu khóa của xã cho `export` và `push` (từ đó "
                    "mọi lô ghi ra hay gửi đi đều được mã hóa).", {}),
    "import": ("Nhận các tệp lô dữ liệu ở máy xã (ở máy tỉnh: số liệu tổng hợp của các xã); "
               "mỗi tệp một dòng. Mã thoát 0 chỉ khi mọi tệp đều được nhận (hoặc đã nhận từ "
               "trước); mã 1 nếu có lô bị từ chối, hoặc lô đang chờ cán bộ xã duyệt máy mới "
               "của thôn.", {}),
    "push": ("Gửi các thay đổi của thôn lên máy của xã qua mạng; ở máy xã, gửi số liệu "
             "tổng hợp lên tỉnh (luôn gửi trọn, nên --all không đổi gì). Địa chỉ và mã gửi "
             "lấy theo lần lưu bằng `--save`. Mạng LAN của thôn là HTTP thường: ai dùng chung "
             "Wi-Fi cũng đọc được, nên khi đã có khóa của xã (`fieldapp commune-key KHÓA`), "
             "lô được mã hóa như tệp USB và chỉ xã mở được. Thay đổi chỉ được tính là đã gửi "
             "khi xã trả biên nhận. Máy xã mã hóa số liệu cho khóa của tỉnh cũng vậy "
             "(`fieldapp province-key KHÓA`).", {
                 "--token": "Mã gửi do cán bộ xã cấp cho thôn này; ở máy xã, mã do tỉnh cấp "
                            "cho xã ($FIELDAPP_PUSH_TOKEN).",
                 "--save": "Nhớ địa chỉ và mã gửi, để lần sau (và nút “Gửi qua mạng” ở trang Gửi "
                           "lên xã, hay “Gửi lên tỉnh” ở máy xã) không cần nhập lại.",
                 "--all": "Gửi mọi phiên bản, không chỉ các thay đổi.",
                 "--encrypt": "Mã hóa lô cho khóa công khai của xã (ở máy xã: của tỉnh). Mặc "
                              "định: mã hóa khi đã có khóa (`fieldapp commune-key KHÓA`, ở máy "
                              "xã `fieldapp province-key KHÓA`), không mã hóa khi chưa; "
                              "--encrypt không gửi gì nếu chưa có khóa.",
                 "--to": "Khóa công khai của xã (ở máy xã: của tỉnh), nếu chưa lưu trong "
                         "cài đặt.",
                 "--timeout": "Số giây chờ máy nhận (xã, hay tỉnh khi gửi từ máy xã) trả lời.",
                 "--as-of": f"Ở máy xã: ngày lấy số liệu tổng hợp {DAY}; mặc định hôm nay."}),
    "audit": ("Xem nhật ký: ai làm gì, khi nào (cũ nhất trước).", {
        "--json": "Mỗi dòng một đối tượng JSON.",
        "--since": "Chỉ các dòng từ ngày này trở đi (giờ UTC).",
        "--action": "Chỉ các thao tác bắt đầu bằng chữ này, ví dụ login."}),
    "subject": ("Yêu cầu của người dân về dữ liệu của mình: tìm, xuất, ghi yêu cầu, xóa.", {}),
    "subject erase": ("Xóa thông tin định danh (tên, địa chỉ, số điện thoại, ghi chú, ý "
                      "kiến) của một hộ hoặc một người khỏi mọi phiên bản đã lưu, kể cả lịch "
                      "sử; các số liệu còn nguyên nên chỉ số không đổi. Ở máy thôn, lô gửi tới "
                      "sẽ mang việc xóa lên xã; ở máy xã, hãy xóa cả ở máy của thôn.", {
                          "--household": "Xóa một hộ cùng các thành viên, lần đến nhà và "
                                         "khảo sát của hộ.",
                          "--person": "Xóa một người cùng các khảo sát của người đó.",
                          "--yes": "Không hỏi xác nhận.",
                          "--by": "Tên đăng nhập của người thực hiện việc xóa, để ghi vào "
                                  "nhật ký."}),
    "subject find": ("Tìm hộ và người theo tên, địa chỉ hoặc số điện thoại (không phân biệt "
                     "hoa thường hay dấu).", {}),
    "subject export": ("Ghi mọi thứ đang lưu về một hộ hoặc một người, kể cả lịch sử và ai "
                       "đã ghi; đánh dấu yêu cầu xem dữ liệu là đã xử lý xong (ghi vào sổ nếu "
                       "chưa có), và ghi nhật ký.", {
                           "--household": HOUSEHOLD_ID, "--person": PERSON_ID,
                           "--out": "Tệp sẽ ghi: TỆP.json hoặc TỆP.pdf.",
                           "--received": RECEIVED}),
    "subject requests": ("Xem sổ yêu cầu: loại, ngày nhận, hạn, số ngày còn lại, ai xử lý.", {
        "--open": "Chỉ các yêu cầu chưa xử lý xong.",
        "--json": "Mỗi dòng một yêu cầu dạng JSON."}),
    "subject request": ("Ghi một yêu cầu đã nhận (hạn theo luật tính từ ngày nhận).", {
        "--household": HOUSEHOLD_ID, "--person": PERSON_ID,
        "--kind": "Người dân yêu cầu gì: see (xem dữ liệu), correct (sửa) hoặc erase (xóa).",
        "--received": RECEIVED}),
    "subject answered": ("Ghi là đã phản hồi người dân của một yêu cầu (sẽ làm gì, làm thế "
                         "nào), việc Nghị định 356/2025/NĐ-CP đòi trong 2 ngày làm việc. "
                         + REQUEST_ID, {}),
    "subject done": ("Đánh dấu một yêu cầu đã xử lý xong. " + REQUEST_ID, {}),
    "purge": ("Xóa thông tin định danh của mọi bản ghi (tên, địa chỉ, số điện thoại, ghi "
              "chú, ý kiến, kể cả lịch sử) khi đã đến ngày hết hạn lưu sau chiến dịch; báo "
              "cáo và chỉ số giữ nguyên.", {
                  "--as-of": "Xét ngày hết hạn lưu tính đến ngày này (mặc định hôm nay, giờ "
                             "Việt Nam).",
                  "--dry-run": "Chỉ cho biết sẽ xóa bao nhiêu bản ghi."}),
    "rollup": ("Ghi số liệu của xã gửi tỉnh: theo từng thôn và từng kỳ, tử số và mẫu số "
               "của mỗi chỉ số, cùng số liệu của bộ phận một cửa; ký bằng khóa của máy này. "
               "Tệp không bao giờ có tên, số điện thoại, mã bản ghi hay ghi chú. Khi đã lưu "
               "khóa của tỉnh (`fieldapp province-key KHÓA`), tệp được mã hóa cho tỉnh "
               "(.enc), như thôn mã hóa lô cho xã.", {
                   "--out": "Tệp sẽ ghi: mã hóa cho tỉnh khi đã có khóa của tỉnh (đặt tên "
                            ".enc), nếu không thì JSON thường (.json, hoặc .json.gz để nén).",
                   "--as-of": f"Ngày lấy số liệu {DAY}; mặc định hôm nay.",
                   "--encrypt": "Mã hóa tệp cho khóa công khai của tỉnh (xem `fieldapp "
                                "province-key`). Mặc định: mã hóa khi đã có khóa, JSON thường "
                                "khi chưa; --encrypt không ghi gì nếu chưa có khóa.",
                   "--to": "Khóa công khai của tỉnh, nếu chưa lưu trong cài đặt."}),
    "dhis2": ("Ghi số liệu của tỉnh cho DHIS2 (docs/dhis2.md): tử số và mẫu số của từng xã "
              "theo từng kỳ, đơn vị và phần tử dữ liệu theo mã.", {
                  "--out": "Tệp sẽ ghi: dataValueSets JSON, hoặc ADX XML với --adx.",
                  "--adx": "Ghi ADX XML thay cho dataValueSets JSON."}),
    "targets": ("Nạp chỉ tiêu từ một bảng như phụ lục của kế hoạch: chỉ tiêu từng xã của "
                "tỉnh, hoặc các thôn, dân số và chỉ tiêu của xã. Chỉ lưu khi mọi ô đều "
                "đúng; mỗi lỗi ghi rõ dòng và cột.", {
                    "--file": "Bảng (.csv UTF-8 có hoặc không có BOM, hoặc .xlsx): ở máy tỉnh "
                              "gồm Mã xã, Tên xã và các chỉ tiêu (%), ô trống theo chỉ tiêu "
                              "của tỉnh, ô “không” là xã không đặt chỉ tiêu; ở máy xã là phụ "
                              "lục các thôn."}),
    "province-key": ("Ở máy tỉnh: in khóa công khai mà các xã dùng để mã hóa số liệu gửi "
                     "lên. Ở máy xã: `province-key KHÓA` lưu khóa của tỉnh cho `rollup` và "
                     "`push` (từ đó mọi tệp ghi ra hay gửi đi đều được mã hóa).", {}),
    "push-token": ("Mã gửi của tỉnh cấp cho các xã: mỗi xã gửi số liệu tổng hợp bằng một "
                   "mã (`fieldapp push` ở máy xã). Chỉ lưu mã băm; mã chỉ hiện một lần.", {}),
    "push-token issue": ("Cấp mã mới cho xã có mã chính thức MÃ_XÃ; mã cũ của xã thôi dùng "
                         "được. In mã một lần, cùng các lệnh xã cần chạy.", {
                             "--label": "Ghi chú cho mã (ví dụ máy nào).",
                             "--url": "Địa chỉ của tỉnh, để in trong lệnh cho xã."}),
    "push-token list": ("Liệt kê các mã đã cấp (không bao giờ hiện chính mã): xã, ghi chú, "
                        "tình trạng.", {}),
    "push-token revoke": ("Thu hồi mã đang dùng của xã MÃ_XÃ: xã không gửi được bằng mã "
                          "đó nữa.", {}),
}


def commands(group, path=""):
    """(path, command) of `group` and every command under it, `group` first."""
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from commands(command, f"{path} {name}".strip())


def apply(main):
    """Word the help of `main` and its commands from HELP, and their usage lines."""
    for path, command in commands(main):
        command.options_metavar = "[TÙY CHỌN]"
        if isinstance(command, click.Group):
            command.subcommand_metavar = "LỆNH [THAM SỐ]..."
        if path not in HELP:
            continue
        text, options = HELP[path]
        command.help, command.short_help = text, None
        for param in command.params:
            long_name = next((o for o in param.opts if o.startswith("--")), None)
            if isinstance(param, click.Option) and long_name in options:
                param.help = options[long_name]
