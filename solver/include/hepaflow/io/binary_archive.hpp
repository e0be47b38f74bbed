#pragma once
// Exact binary records for restartable checkpoints (hepaflow run --checkpoint-every / --resume):
// doubles and integers as their raw bytes (native byte order, checked by the file header), vectors
// with their length, strings with their length. The checkpoint file wraps one record with a header
// (magic, format version, byte-order mark, length) and its SHA-256, written atomically.
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "hepaflow/network.hpp"

namespace hepaflow::io {

class BinaryWriter {
 public:
  template <class T>
  void put(const T& value) {
    static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>, "raw bytes of numbers and enums only");
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>, "raw bytes of numbers and enums only");
    put<std::uint64_t>(v.size());
    if (!v.empty()) bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void put_string(const std::string& s) {
    put<std::uint64_t>(s.size());
    bytes_ += s;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

/// Reads what BinaryWriter wrote, in the same order; a record that ends early or holds an
/// impossible length is an IoError naming `source` ("... is corrupt").
class BinaryReader {
 public:
  BinaryReader(const std::string& bytes, std::string source) : bytes_(bytes), source_(std::move(source)) {}
  template <class T>
  T get() {
    static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>, "raw bytes of numbers and enums only");
    T value;
    std::memcpy(&value, take(sizeof value), sizeof value);
    return value;
  }
  template <class T>
  std::vector<T> get_vector() {
    const std::uint64_t n = get<std::uint64_t>();
    if (n > (bytes_.size() - at_) / sizeof(T)) corrupt("a vector longer than the record");
    std::vector<T> v(static_cast<std::size_t>(n));
    if (n) std::memcpy(v.data(), take(v.size() * sizeof(T)), v.size() * sizeof(T));
    return v;
  }
  std::string get_string() {
    const std::uint64_t n = get<std::uint64_t>();
    if (n > bytes_.size() - at_) corrupt("a string longer than the record");
    return std::string(take(static_cast<std::size_t>(n)), static_cast<std::size_t>(n));
  }
  /// IoError unless every byte was read.
  void expect_end() const;
  [[noreturn]] void corrupt(const std::string& what) const;
  const std::string& source() const { return source_; }

 private:
  const char* take(std::size_t n) {
    if (n > bytes_.size() - at_) corrupt("truncated record");
    const char* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  const std::string& bytes_;
  std::string source_;
  std::size_t at_ = 0;
};

/// Every array of the network (nodes, segments, boundary conditions, tissue box), exactly.
void save_network(BinaryWriter& out, const Network& net);
Network load_network(BinaryReader& in);

/// Version of the checkpoint file layout; files of another version are refused (InputError, exit 3).
constexpr std::uint32_t checkpoint_format_version = 2;  // 2: + the inflow control's scale (warm start)

/// Write `payload` as a checkpoint file: "HFCKPT\r\n", u32 format version, u32 byte-order mark
/// 0x01020304, u64 payload length, the payload's SHA-256 (32 raw bytes), the payload; atomically.
void write_checkpoint_file(const std::string& path, const std::string& payload);
/// The payload of a checkpoint file. IoError (exit 4) when it is missing, short, not a checkpoint,
/// of the other byte order or fails its checksum; InputError (exit 3) for another format version.
std::string read_checkpoint_file(const std::string& path);

}  // namespace hepaflow::io
