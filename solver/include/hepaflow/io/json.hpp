#pragma once
// A small ordered JSON object writer for summary.json / run_info.json (keys keep insertion order).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hepaflow::io {

class JsonObject {
 public:
  JsonObject& add(const std::string& key, double value);
  JsonObject& add(const std::string& key, std::int64_t value);
  JsonObject& add(const std::string& key, int value) { return add(key, static_cast<std::int64_t>(value)); }
  JsonObject& add(const std::string& key, std::size_t value) { return add(key, static_cast<std::int64_t>(value)); }
  JsonObject& add(const std::string& key, bool value);
  JsonObject& add(const std::string& key, const std::string& value);
  JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonObject& add(const std::string& key, const JsonObject& value);
  /// Pretty-printed text, two-space indent.
  std::string str(int indent = 0) const;

 private:
  std::vector<std::pair<std::string, std::string>> members_;  // key, rendered value
  std::vector<JsonObject> nested_;
};

/// JSON string literal with escapes.
std::string json_quote(const std::string& s);

}  // namespace hepaflow::io
