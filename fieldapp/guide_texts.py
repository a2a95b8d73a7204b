"""Content of the public citizen guides (SPEC section 5b).

Each guide is a short, step-by-step text in Vietnamese for a citizen who is not
used to phones: one action per step, plain words, an optional tip saying what
the screen shows or what to do when a step fails. The pages at
``/guides/<slug>`` and the QR cards printed by ``fieldapp qr`` read from here.

The texts stay general where an app's exact labels may change between versions
("chọn mục kích hoạt tài khoản" rather than a button caption that may be renamed).
They contain no personal data. Every string is NFC.
"""
from dataclasses import dataclass

__all__ = ["GUIDES", "PRIVACY_SLUG", "guide_by_slug"]

# where the privacy notice is (fieldapp/views/guides.py), on the pages and the printed cards
PRIVACY_SLUG = "quyen-rieng-tu"


@dataclass(frozen=True)
class Step:
    """One action, in the imperative, with an optional short hint."""

    text: str
    tip: str = ""


@dataclass(frozen=True)
class Guide:
    """A public step-by-step guide for citizens."""

    slug: str
    title: str
    summary: str
    official_url: str
    needs: tuple[str, ...]
    steps: tuple[Step, ...]
    help_text: str


VNEID_URL = "https://vneid.gov.vn"
PORTAL_URL = "https://dichvucong.gov.vn"

_NO_SECRETS = (
    "Cán bộ, công an, ngân hàng không bao giờ gọi điện hay nhắn tin hỏi mật khẩu, "
    "mã OTP của bạn. Không đưa các mã này cho ai."
)

_HELP_VNEID = (
    "Hỏi Tổ công nghệ số cộng đồng ở thôn, ấp, tổ dân phố của bạn, hoặc đến công an xã. "
    "Tổng đài hỗ trợ VNeID của Bộ Công an: 1900 0368. " + _NO_SECRETS
)

_HELP_PORTAL = (
    "Hỏi Tổ công nghệ số cộng đồng ở thôn, ấp, tổ dân phố của bạn, hoặc bộ phận một cửa "
    "(Trung tâm phục vụ hành chính công) của UBND xã. Số tổng đài hỗ trợ có ghi ở cuối "
    "trang dichvucong.gov.vn. " + _NO_SECRETS
)


GUIDES: tuple[Guide, ...] = (
    Guide(
        slug="cai-dat-vneid",
        title="Cài đặt ứng dụng VNeID",
        summary=(
            "Dành cho người chưa có ứng dụng VNeID trên điện thoại: làm xong bạn có "
            "ứng dụng định danh điện tử chính thức của Bộ Công an."
        ),
        official_url=VNEID_URL,
        needs=(
            "Điện thoại thông minh (Android hoặc iPhone)",
            "Mạng Internet: Wi-Fi hoặc dữ liệu di động 3G/4G",
            "Tài khoản Google (Android) hoặc Apple ID (iPhone) để tải ứng dụng",
            "Máy còn chỗ trống để cài ứng dụng",
        ),
        steps=(
            Step(
                "Kết nối điện thoại với Wi-Fi, hoặc bật dữ liệu di động.",
                "Dùng Wi-Fi thì đỡ tốn tiền cước.",
            ),
            Step(
                "Mở kho ứng dụng: CH Play (Google Play) trên máy Android, "
                "hoặc App Store trên iPhone.",
                "CH Play có hình tam giác nhiều màu. App Store có chữ A trên nền xanh.",
            ),
            Step("Chạm vào ô tìm kiếm và gõ chữ VNeID."),
            Step(
                "Chọn ứng dụng VNeID có nhà phát triển là Trung tâm dữ liệu quốc gia "
                "về dân cư (Bộ Công an).",
                "Không cài ứng dụng tên na ná của nơi khác. Không cài từ đường link lạ "
                "gửi qua tin nhắn, Zalo hay mạng xã hội.",
            ),
            Step(
                "Bấm Cài đặt (Android) hoặc Nhận (iPhone), rồi chờ tải xong.",
                "iPhone có thể hỏi mật khẩu Apple ID hoặc Face ID. Nếu báo hết chỗ, "
                "xóa bớt ảnh, video hoặc ứng dụng không dùng.",
            ),
            Step("Bấm Mở, hoặc chạm vào biểu tượng VNeID trên màn hình điện thoại."),
            Step(
                "Khi ứng dụng xin dùng camera hoặc gửi thông báo, bấm Cho phép.",
                "Camera dùng để quét mã QR và chụp khuôn mặt khi xác thực.",
            ),
            Step(
                "Nếu đã có tài khoản, đăng nhập bằng số định danh cá nhân và mật khẩu.",
                "Số định danh cá nhân là 12 số in trên thẻ căn cước công dân (CCCD). "
                "Chưa có tài khoản thì xem hướng dẫn kích hoạt tài khoản mức 2.",
            ),
            Step(
                "Khi kho ứng dụng báo VNeID có bản mới, bấm Cập nhật.",
                "Bản cũ có thể không đăng nhập được hoặc thiếu chức năng.",
            ),
        ),
        help_text=_HELP_VNEID,
    ),
    Guide(
        slug="kich-hoat-muc-2",
        title="Đăng ký và kích hoạt tài khoản định danh điện tử mức 2",
        summary=(
            "Dành cho người có thẻ CCCD gắn chip nhưng chưa có tài khoản VNeID mức 2: "
            "làm xong bạn đăng nhập được VNeID và nộp hồ sơ dịch vụ công trực tuyến."
        ),
        official_url=VNEID_URL,
        needs=(
            "Thẻ căn cước công dân (CCCD) gắn chip hoặc thẻ căn cước, còn hạn",
            "Số điện thoại chính chủ (SIM đứng tên chính bạn) đang dùng được",
            "Điện thoại thông minh đã cài ứng dụng VNeID",
        ),
        steps=(
            Step(
                "Mang thẻ CCCD gắn chip và điện thoại đến công an xã nơi bạn ở.",
                "Hỏi Tổ công nghệ số cộng đồng xem công an có về làm tại thôn không, "
                "để khỏi phải đi xa.",
            ),
            Step(
                "Nói với cán bộ rằng bạn muốn đăng ký tài khoản định danh điện tử mức 2.",
            ),
            Step(
                "Làm theo hướng dẫn của cán bộ: khai phiếu đăng ký, đọc số điện thoại "
                "chính chủ, chụp ảnh, lấy vân tay nếu cần.",
                "Số điện thoại phải đứng tên bạn, đúng với thông tin trên thẻ CCCD. "
                "Nếu chưa đúng, xem hướng dẫn cập nhật số điện thoại.",
            ),
            Step(
                "Về nhà chờ tin nhắn SMS có mã kích hoạt, gửi đến số điện thoại đã đăng ký.",
                "Có khi phải chờ vài ngày. Chờ lâu mà không có tin nhắn thì hỏi lại "
                "công an xã.",
            ),
            Step("Mở ứng dụng VNeID, chọn mục kích hoạt tài khoản định danh điện tử."),
            Step(
                "Nhập số định danh cá nhân và số điện thoại đã đăng ký, rồi bấm gửi yêu cầu.",
                "Số định danh cá nhân là 12 số in trên thẻ CCCD.",
            ),
            Step(
                "Nhập mã kích hoạt trong tin nhắn SMS vào ô trên màn hình.",
                "Không đọc mã này cho ai, kể cả người gọi điện tự xưng là công an.",
            ),
            Step(
                "Đặt mật khẩu theo yêu cầu trên màn hình, rồi nhập lại lần nữa để xác nhận.",
                "Mật khẩu thường dài 8 đến 20 ký tự, có chữ hoa, chữ thường, số và một "
                "ký tự đặc biệt như @ hoặc #. Ghi ra giấy, cất nơi kín đáo.",
            ),
            Step(
                "Đặt mã passcode gồm 6 chữ số, nhập hai lần giống nhau.",
                "Passcode dùng để xác nhận khi xem giấy tờ và làm các việc quan trọng "
                "trong ứng dụng. Không dùng ngày sinh hay 123456.",
            ),
            Step(
                "Đăng nhập lại và xem thông tin hiện ra có đúng họ tên, ngày sinh của bạn không.",
                "Nếu thông tin sai hoặc tài khoản chưa phải mức 2, báo lại công an xã.",
            ),
        ),
        help_text=_HELP_VNEID,
    ),
    Guide(
        slug="quen-mat-khau-vneid",
        title="Lấy lại mật khẩu VNeID khi bị quên",
        summary=(
            "Dành cho người đã có tài khoản VNeID nhưng quên mật khẩu: làm xong bạn "
            "đặt được mật khẩu mới và đăng nhập lại."
        ),
        official_url=VNEID_URL,
        needs=(
            "Điện thoại đã cài ứng dụng VNeID, có Internet",
            "SIM có số điện thoại đã đăng ký với tài khoản VNeID, nhận được tin nhắn",
            "Thẻ CCCD gắn chip",
            "Chỗ đủ sáng để chụp khuôn mặt",
        ),
        steps=(
            Step("Mở ứng dụng VNeID. Ở màn hình đăng nhập, bấm Quên mật khẩu."),
            Step(
                "Nhập số định danh cá nhân và số điện thoại đã đăng ký, rồi bấm gửi yêu cầu.",
                "Số định danh cá nhân là 12 số in trên thẻ CCCD.",
            ),
            Step(
                "Nếu ứng dụng hỏi thêm họ tên, ngày sinh hoặc ngày cấp thẻ, nhập đúng như "
                "trên thẻ CCCD rồi bấm tiếp tục.",
            ),
            Step(
                "Chờ tin nhắn có mã OTP gửi về số điện thoại, nhập mã đó vào ứng dụng.",
                "Mã OTP chỉ dùng được trong ít phút. Hết hạn thì bấm gửi lại mã.",
            ),
            Step(
                "Nếu ứng dụng yêu cầu xác thực khuôn mặt, nhìn thẳng vào camera và làm theo "
                "hướng dẫn trên màn hình.",
                "Bỏ kính, khẩu trang, mũ. Đứng chỗ sáng, không để đèn chiếu sau lưng.",
            ),
            Step(
                "Nếu ứng dụng yêu cầu đọc chip, áp thẻ CCCD vào mặt lưng điện thoại và giữ yên "
                "đến khi báo xong.",
                "Máy cần có NFC; trên Android, bật NFC trong phần Cài đặt. Đọc không được "
                "thì tháo ốp lưng dày và dịch thẻ chậm lên xuống.",
            ),
            Step(
                "Đặt mật khẩu mới theo yêu cầu trên màn hình, rồi nhập lại để xác nhận.",
                "Mật khẩu thường dài 8 đến 20 ký tự, có chữ hoa, chữ thường, số và một "
                "ký tự đặc biệt. Ghi ra giấy, cất nơi kín đáo.",
            ),
            Step(
                "Khi màn hình báo thành công, đăng nhập lại bằng mật khẩu mới.",
            ),
            Step(
                "Nếu không còn dùng số điện thoại cũ, hoặc xác thực mãi không được, mang thẻ "
                "CCCD đến công an xã nhờ hỗ trợ.",
            ),
        ),
        help_text=_HELP_VNEID,
    ),
    Guide(
        slug="cap-nhat-so-dien-thoai",
        title="Cập nhật thông tin thuê bao và số điện thoại chính chủ",
        summary=(
            "Dành cho người có SIM chưa đứng tên mình hoặc vừa đổi số: làm xong số điện "
            "thoại đứng đúng tên bạn, dùng được cho VNeID và ngân hàng."
        ),
        official_url=VNEID_URL,
        needs=(
            "Thẻ CCCD gắn chip của chính người dùng SIM",
            "Điện thoại đang lắp SIM cần cập nhật",
            "Nếu làm trên điện thoại: ứng dụng chính thức của nhà mạng và Internet",
        ),
        steps=(
            Step(
                "Kiểm tra SIM đứng tên ai: soạn tin nhắn TTTB gửi 1414.",
                "Tin trả lời cho biết họ tên, ngày sinh, số giấy tờ của chủ thuê bao.",
            ),
            Step(
                "Đọc tin trả lời. Nếu không đúng họ tên, ngày sinh, số CCCD của bạn, cần "
                "cập nhật (chuẩn hóa) thông tin thuê bao.",
                "SIM đang đứng tên người khác (người bán SIM, người thân) thì phải chuyển "
                "sang tên bạn mới dùng được cho VNeID.",
            ),
            Step(
                "Cách 1, tại cửa hàng: mang thẻ CCCD và điện thoại đến cửa hàng, điểm giao "
                "dịch của nhà mạng bạn đang dùng.",
                "Nếu SIM đứng tên người khác, hỏi trước cửa hàng cần mang thêm giấy tờ gì "
                "hoặc cần người đó đi cùng không.",
            ),
            Step(
                "Nói với nhân viên là muốn chuẩn hóa thông tin thuê bao theo thẻ CCCD, rồi "
                "làm theo hướng dẫn.",
                "Nhân viên thường đọc chip trên thẻ và chụp ảnh khuôn mặt bạn.",
            ),
            Step(
                "Cách 2, trên điện thoại: mở ứng dụng chính thức của nhà mạng "
                "(ví dụ My Viettel, My VNPT, My MobiFone).",
                "Chỉ tải ứng dụng từ CH Play hoặc App Store, không theo đường link lạ.",
            ),
            Step(
                "Tìm mục cập nhật hoặc chuẩn hóa thông tin thuê bao, làm theo hướng dẫn: "
                "chụp thẻ CCCD, đọc chip, chụp khuôn mặt.",
                "Không làm được trên ứng dụng thì đến cửa hàng như cách 1.",
            ),
            Step(
                "Khi có tin nhắn báo thành công, soạn TTTB gửi 1414 lần nữa để kiểm tra lại.",
            ),
            Step(
                "Nếu bạn đổi sang số điện thoại mới, cập nhật số đó trong tài khoản VNeID "
                "theo hướng dẫn trong ứng dụng.",
                "Thường nằm ở phần thông tin tài khoản. Ứng dụng không cho đổi thì mang "
                "thẻ CCCD đến công an xã.",
            ),
            Step(
                "Báo số điện thoại mới cho ngân hàng của bạn.",
                "Để vẫn nhận được mã OTP khi thanh toán phí, lệ phí.",
            ),
        ),
        help_text=(
            "Hỏi cửa hàng hoặc tổng đài chăm sóc khách hàng của nhà mạng bạn đang dùng, "
            "Tổ công nghệ số cộng đồng ở thôn, ấp, tổ dân phố, hoặc công an xã (về số điện "
            "thoại trong VNeID). Tổng đài hỗ trợ VNeID: 1900 0368. " + _NO_SECRETS
        ),
    ),
    Guide(
        slug="mo-tai-khoan-ngan-hang",
        title="Mở tài khoản ngân hàng để nộp phí, lệ phí trực tuyến",
        summary=(
            "Dành cho người chưa có tài khoản ngân hàng: làm xong bạn có tài khoản để "
            "nộp phí, lệ phí trên Cổng Dịch vụ công quốc gia mà không phải mang tiền mặt."
        ),
        official_url=PORTAL_URL,
        needs=(
            "Thẻ CCCD gắn chip còn hạn",
            "Số điện thoại chính chủ (SIM đứng tên bạn)",
            "Điện thoại thông minh có Internet; máy có NFC thì mở trên ứng dụng dễ hơn",
        ),
        steps=(
            Step(
                "Chọn một ngân hàng có chi nhánh hoặc phòng giao dịch gần nhà.",
                "Gần nhà thì dễ hỏi trực tiếp khi cần.",
            ),
            Step(
                "Cách 1, tại quầy: mang thẻ CCCD và điện thoại đến ngân hàng, nói muốn mở "
                "tài khoản thanh toán.",
                "Nhân viên sẽ hướng dẫn ký giấy tờ và cài ứng dụng ngân hàng cho bạn. "
                "Khi đó bỏ qua các bước trên ứng dụng bên dưới.",
            ),
            Step(
                "Cách 2, trên điện thoại: tải ứng dụng chính thức của ngân hàng từ CH Play "
                "hoặc App Store.",
                "Xem kỹ tên ngân hàng ở nhà phát triển. Không cài ứng dụng từ đường link "
                "lạ gửi qua tin nhắn.",
            ),
            Step(
                "Mở ứng dụng, chọn mở tài khoản mới, nhập số điện thoại và mã OTP gửi về.",
            ),
            Step(
                "Chụp mặt trước và mặt sau thẻ CCCD vừa khung trên màn hình.",
                "Để thẻ trên nền tối, đủ sáng, không bị lóa.",
            ),
            Step(
                "Khi ứng dụng yêu cầu, áp thẻ CCCD vào mặt lưng điện thoại để đọc chip.",
                "Máy không có NFC thì ra quầy ngân hàng như cách 1.",
            ),
            Step(
                "Chụp hoặc quay khuôn mặt theo hướng dẫn trên màn hình.",
                "Bỏ kính, khẩu trang, mũ; đứng chỗ sáng.",
            ),
            Step(
                "Kiểm tra thông tin, rồi đặt mật khẩu đăng nhập theo hướng dẫn của ứng dụng.",
            ),
            Step(
                "Ghi lại tên ngân hàng và số tài khoản của bạn.",
                "Số tài khoản thì đưa người khác được; mật khẩu và mã OTP thì không.",
            ),
            Step(
                "Khi nộp phí, lệ phí trên Cổng Dịch vụ công quốc gia, ở bước thanh toán chọn "
                "ngân hàng này.",
                "Xem hướng dẫn thanh toán phí, lệ phí trực tuyến.",
            ),
        ),
        help_text=(
            "Hỏi nhân viên tại chi nhánh, phòng giao dịch ngân hàng, hoặc gọi tổng đài in "
            "trong ứng dụng của ngân hàng. Có thể nhờ Tổ công nghệ số cộng đồng ở thôn, ấp, "
            "tổ dân phố hướng dẫn. " + _NO_SECRETS
        ),
    ),
    Guide(
        slug="nop-ho-so-truc-tuyen",
        title="Nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia",
        summary=(
            "Dành cho người có tài khoản VNeID mức 2 cần làm thủ tục hành chính: làm xong "
            "bạn nộp được hồ sơ tại nhà và có mã hồ sơ để theo dõi."
        ),
        official_url=PORTAL_URL,
        needs=(
            "Tài khoản định danh điện tử mức 2 (VNeID) đã kích hoạt",
            "Điện thoại hoặc máy tính có Internet",
            "Ảnh chụp rõ hoặc bản quét các giấy tờ cần nộp",
            "Tài khoản ngân hàng, nếu thủ tục có phí, lệ phí",
        ),
        steps=(
            Step(
                "Mở trình duyệt và vào địa chỉ dichvucong.gov.vn.",
                "Xem kỹ địa chỉ có đuôi .gov.vn; cẩn thận trang giả mạo.",
            ),
            Step("Bấm Đăng nhập, chọn đăng nhập bằng tài khoản định danh điện tử VNeID."),
            Step(
                "Đăng nhập theo hướng dẫn trên màn hình, rồi xác nhận trên ứng dụng VNeID "
                "nếu được hỏi.",
                "Làm trên máy tính thì có thể dùng ứng dụng VNeID trên điện thoại quét mã "
                "QR hiện trên màn hình.",
            ),
            Step(
                "Gõ tên thủ tục vào ô tìm kiếm, ví dụ đăng ký khai sinh, rồi chọn đúng "
                "thủ tục.",
                "Không biết tên thủ tục thì hỏi bộ phận một cửa UBND xã.",
            ),
            Step(
                "Chọn cơ quan giải quyết: tỉnh, thành phố rồi xã, phường nơi bạn làm thủ tục.",
                "Chọn theo tên xã hiện nay, sau khi sắp xếp đơn vị hành chính.",
            ),
            Step(
                "Điền tờ khai trên màn hình. Kiểm tra lại các thông tin đã được điền sẵn.",
                "Ô có dấu sao (*) là ô bắt buộc phải điền.",
            ),
            Step(
                "Đính kèm giấy tờ: bấm nút chọn tệp, chọn ảnh chụp hoặc bản quét của từng "
                "giấy tờ.",
                "Chụp thẳng, đủ sáng, rõ chữ, không mất góc. Tệp quá nặng thì chụp lại "
                "với độ phân giải thấp hơn.",
            ),
            Step(
                "Nếu màn hình hỏi, chọn cách nhận kết quả: tại bộ phận một cửa hoặc qua "
                "bưu điện.",
            ),
            Step(
                "Xem lại toàn bộ, đánh dấu ô cam kết nếu có, rồi bấm nộp hồ sơ.",
                "Thủ tục có phí, lệ phí thì có thể chuyển ngay sang bước thanh toán.",
            ),
            Step(
                "Ghi lại mã hồ sơ hiện trên màn hình, hoặc chụp màn hình lại.",
                "Cần mã hồ sơ để tra cứu và khi hỏi cán bộ.",
            ),
            Step(
                "Theo dõi hồ sơ: đăng nhập lại, mở phần quản lý hồ sơ của bạn, hoặc tra "
                "cứu bằng mã hồ sơ.",
                "Nếu cơ quan yêu cầu bổ sung, làm theo thông báo. Có phí thì xem hướng dẫn "
                "thanh toán trực tuyến.",
            ),
        ),
        help_text=_HELP_PORTAL,
    ),
    Guide(
        slug="thanh-toan-truc-tuyen",
        title="Thanh toán phí, lệ phí trực tuyến trên Cổng Dịch vụ công quốc gia",
        summary=(
            "Dành cho người đã nộp hồ sơ trực tuyến có phí, lệ phí: làm xong bạn trả tiền "
            "qua ngân hàng tại nhà và có biên lai điện tử."
        ),
        official_url=PORTAL_URL,
        needs=(
            "Tài khoản định danh điện tử mức 2 (VNeID)",
            "Mã hồ sơ đã nộp",
            "Tài khoản ngân hàng có ứng dụng trên điện thoại, đủ tiền để trả",
            "Điện thoại nhận được tin nhắn mã OTP",
        ),
        steps=(
            Step("Vào dichvucong.gov.vn và đăng nhập bằng tài khoản VNeID."),
            Step(
                "Mở phần quản lý hồ sơ của bạn, tìm hồ sơ cần nộp phí theo mã hồ sơ.",
                "Có thủ tục trả phí ngay lúc nộp; khi đó bước thanh toán hiện ra ngay "
                "sau khi bấm nộp hồ sơ.",
            ),
            Step(
                "Bấm nút thanh toán ở hồ sơ đó.",
                "Chưa thấy nút thanh toán thì có thể cơ quan chưa báo số tiền; chờ thông "
                "báo hoặc hỏi bộ phận một cửa.",
            ),
            Step("Xem kỹ tên khoản phí, lệ phí, số tiền và cơ quan nhận tiền."),
            Step("Chọn cách thanh toán, rồi chọn ngân hàng của bạn."),
            Step(
                "Làm theo màn hình: đăng nhập ngân hàng ở trang hiện ra, hoặc mở ứng dụng "
                "ngân hàng quét mã QR.",
                "Kiểm tra số tiền trong ứng dụng ngân hàng đúng với số tiền trên Cổng.",
            ),
            Step(
                "Xác nhận giao dịch bằng mã OTP hoặc cách xác thực của ngân hàng.",
                "Không đọc mã OTP cho ai, kể cả người tự xưng là cán bộ.",
            ),
            Step(
                "Chờ màn hình báo thanh toán thành công. Đừng bấm thanh toán lần nữa khi "
                "chưa thấy kết quả.",
                "Tiền đã bị trừ mà hồ sơ chưa báo đã thanh toán thì giữ tin nhắn ngân "
                "hàng và báo bộ phận một cửa UBND xã.",
            ),
            Step(
                "Lưu biên lai điện tử: tải về hoặc chụp màn hình.",
                "Giữ cả tin nhắn báo trừ tiền của ngân hàng.",
            ),
            Step("Mở lại hồ sơ, xem trạng thái đã ghi là đã thanh toán."),
        ),
        help_text=_HELP_PORTAL,
    ),
)


_BY_SLUG = {guide.slug: guide for guide in GUIDES}


def guide_by_slug(slug: str) -> Guide | None:
    """Return the guide with this slug, or None."""
    return _BY_SLUG.get(slug)
