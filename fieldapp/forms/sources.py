"""Where an indicator's denominator comes from (`denominator_source`): the names a roll-up
may carry and the one label each has on pages and in files."""

__all__ = ["SOURCES"]

SOURCES = {"official": "số người trưởng thành chính thức", "registered": "số đã ghi nhận",
           "mixed": "kết hợp: số chính thức ở thôn đã có, số đã ghi nhận ở thôn khác",
           "one_stop_shop": "số hồ sơ của bộ phận một cửa"}
