#include "crdex/hooks/timestamps.hpp"

#include <chrono>
#include <cstdio>

namespace crdex::hooks {

namespace {

bool digits(std::string_view text, size_t at, size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<int64_t> parse_rfc3339_ms(std::string_view t) {
  int year, month, day, hour, minute, second;
  if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) || t[7] != '-' ||
      !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't') || !digits(t, 11, 2, hour) || t[13] != ':' ||
      !digits(t, 14, 2, minute) || t[16] != ':' || !digits(t, 17, 2, second))
    return std::nullopt;
  size_t at = 19;
  int millis = 0;
  if (t[at] == '.') {
    size_t end = ++at;
    while (end < t.size() && t[end] >= '0' && t[end] <= '9') ++end;
    if (end == at) return std::nullopt;
    for (size_t i = 0; i < 3; ++i) millis = millis * 10 + (at + i < end ? t[at + i] - '0' : 0);
    at = end;
  }
  int offset_minutes = 0;
  if (at < t.size() && (t[at] == 'Z' || t[at] == 'z') && at + 1 == t.size()) {
  } else if (at < t.size() && (t[at] == '+' || t[at] == '-') && at + 6 == t.size() && t[at + 3] == ':') {
    int oh, om;
    if (!digits(t, at + 1, 2, oh) || !digits(t, at + 4, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = (t[at] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second
  const auto since_epoch = sys_days(date).time_since_epoch() + hours(hour) + minutes(minute - offset_minutes) +
                           seconds(second) + milliseconds(millis);
  return duration_cast<milliseconds>(since_epoch).count();
}

std::string format_rfc3339_ms(int64_t epoch_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds(epoch_ms)};
  const auto day_point = floor<days>(time);
  const year_month_day date{day_point};
  const hh_mm_ss clock{time - day_point};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return text;
}

int64_t now_epoch_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace crdex::hooks
