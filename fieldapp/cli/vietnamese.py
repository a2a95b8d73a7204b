"""click's own words in Vietnamese: "Error:", "Invalid value", "Repeat for confirmation"...

click words its messages through `gettext` (names `_` and `ngettext` bound in each of its
modules at import). `install()` rebinds them in those modules to the Vietnamese below, so
every message click makes itself (usage errors, bad values, prompts) reads like the pages.
A message not listed stays in English rather than breaking.
"""
import importlib

__all__ = ["install", "translate", "translate_plural"]

CLICK_MODULES = ("core", "exceptions", "types", "termui", "parser", "decorators",
                 "formatting", "utils")

WORDS = {
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn: {command} {option}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ của {param_hint}: {message}",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "No such option: {name}": "Không có tùy chọn: {name}",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "unknown error": "lỗi không rõ",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải {number_type} hợp lệ.",
    "integer": "số nguyên",
    "float": "số thực",
    "integer range": "số nguyên",
    "float range": "số thực",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid UUID.": "{value!r} không phải UUID hợp lệ.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} không phải giá trị đúng/sai hợp lệ. Các giá trị nhận: {states}",
    "file": "Tệp",
    "directory": "Thư mục",
    "path": "Đường dẫn",
    "{name} {filename!r} does not exist.": "{name} {filename!r} không tồn tại.",
    "{name} {filename!r} is a file.": "{name} {filename!r} là một tệp.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} là một thư mục.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} không đọc được.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} không ghi được.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} không chạy được.",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai lần nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: nhập không hợp lệ",
    "Press any key to continue...": "Nhấn một phím bất kỳ để tiếp tục...",
    "Aborted!": "Đã hủy.",
    "Missing command.": "Thiếu lệnh.",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Usage:": "Cách dùng:",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Do you want to continue?": "Tiếp tục?",
    "Confirm the action without prompting.": "Xác nhận mà không hỏi lại.",
    "deprecated": "không còn dùng",
    "env var: {var}": "biến môi trường: {var}",
    "default: {default}": "mặc định: {default}",
    "(dynamic)": "(tính khi chạy)",
    "required": "bắt buộc",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} nhận {nargs} giá trị.",
}

PLURALS = {   # the English singular -> the Vietnamese (which has no plural form)
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "{value!r} is not {choice}.": "{value!r} không phải {choice}.",
    "{value!r} does not match the format {format}.": "{value!r} không đúng dạng {format}.",
    "Got unexpected extra argument ({args})": "Thừa tham số ({args})",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có 1.",
    "{len_type} values are required, but {len_value} was given.":
        "Cần {len_type} giá trị nhưng có {len_value}.",
}
PLURAL_MANY = {
    "{value!r} is not {choice}.": "{value!r} không phải một trong {choices}.",
    "{value!r} does not match the format {format}.": "{value!r} không đúng các dạng {formats}.",
    "Did you mean {possibility}?": "(Có phải ý bạn là một trong: {possibilities}?)",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần {nargs} giá trị.",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng có {len}.",
}


def translate(message):
    """The Vietnamese of one of click's messages (itself when not listed)."""
    return WORDS.get(message, message)


def translate_plural(singular, plural, count):
    """The Vietnamese of one of click's messages with a count."""
    if count == 1 or singular not in PLURAL_MANY:
        return PLURALS.get(singular, singular if count == 1 else plural)
    return PLURAL_MANY[singular]


# the names of click's number types, set on the classes when click.types is imported (and so
# not passed through `_`): they are shown in "'abc' is not a valid integer." and as metavars
TYPE_NAMES = {"IntParamType": "số nguyên", "IntRange": "số nguyên",
              "FloatParamType": "số thực", "FloatRange": "số thực",
              "BoolParamType": "đúng/sai", "StringParamType": "chữ", "Choice": "lựa chọn",
              "DateTime": "ngày giờ"}


def install():
    """Rebind `_` and `ngettext` in click's modules to the Vietnamese (idempotent)."""
    import click.types
    for class_name, name in TYPE_NAMES.items():
        getattr(click.types, class_name).name = name
    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = translate
        if hasattr(module, "ngettext"):
            module.ngettext = translate_plural
