#include "hepaflow/io/json.hpp"

#include <cmath>
#include <cstdio>

namespace hepaflow::io {

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

JsonObject& JsonObject::add(const std::string& key, double value) {
  if (!std::isfinite(value)) {
    members_.emplace_back(key, "null");  // JSON has no NaN/Inf
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    members_.emplace_back(key, buf);
  }
  return *this;
}
JsonObject& JsonObject::add(const std::string& key, std::int64_t value) {
  members_.emplace_back(key, std::to_string(value));
  return *this;
}
JsonObject& JsonObject::add(const std::string& key, bool value) {
  members_.emplace_back(key, value ? "true" : "false");
  return *this;
}
JsonObject& JsonObject::add(const std::string& key, const std::string& value) {
  members_.emplace_back(key, json_quote(value));
  return *this;
}
JsonObject& JsonObject::add(const std::string& key, const JsonObject& value) {
  members_.emplace_back(key, "\x01");  // placeholder: nested objects are rendered with indentation
  nested_.push_back(value);
  return *this;
}

std::string JsonObject::str(int indent) const {
  const std::string pad(indent + 2, ' ');
  std::string out = "{\n";
  std::size_t nested_index = 0;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const auto& [key, value] = members_[i];
    out += pad + json_quote(key) + ": ";
    out += value == "\x01" ? nested_[nested_index++].str(indent + 2) : value;
    out += i + 1 < members_.size() ? ",\n" : "\n";
  }
  return out + std::string(indent, ' ') + "}";
}

}  // namespace hepaflow::io
