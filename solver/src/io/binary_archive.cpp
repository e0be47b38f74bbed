#include "hepaflow/io/binary_archive.hpp"

#include <fstream>
#include <iterator>

#include "hepaflow/error.hpp"
#include "hepaflow/io/atomic_file.hpp"
#include "hepaflow/io/sha256.hpp"

namespace hepaflow::io {

namespace {
constexpr char magic[8] = {'H', 'F', 'C', 'K', 'P', 'T', '\r', '\n'};
constexpr std::uint32_t byte_order_mark = 0x01020304u;
constexpr std::size_t header_bytes = 8 + 4 + 4 + 8 + 32;

/// The 32 raw bytes of a lowercase hex SHA-256.
std::string raw_digest(const std::string& bytes) {
  const std::string hex = sha256_hex(bytes);
  std::string raw(32, '\0');
  for (std::size_t i = 0; i < 32; ++i) raw[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return raw;
}
}  // namespace

void BinaryReader::expect_end() const {
  if (at_ != bytes_.size()) corrupt(std::to_string(bytes_.size() - at_) + " bytes left over");
}

void BinaryReader::corrupt(const std::string& what) const { throw IoError(source_ + " is corrupt: " + what); }

void save_network(BinaryWriter& out, const Network& net) {
  out.put_vector(net.node_id);
  out.put_vector(net.x);
  out.put_vector(net.y);
  out.put_vector(net.z);
  out.put_vector(net.segment_id);
  out.put_vector(net.segment_from);
  out.put_vector(net.segment_to);
  out.put_vector(net.radius);
  out.put_vector(net.length);
  out.put_vector(net.kind);
  out.put_vector(net.zone);
  out.put_vector(net.tissue_volume);
  out.put_vector(net.haematocrit);
  out.put_vector(net.file_flow);
  out.put_vector(net.tissue_box);
  out.put<std::uint64_t>(net.boundaries.size());
  for (const BoundaryCondition& b : net.boundaries) {  // field by field: no padding bytes in the file
    out.put(b.node);
    out.put(b.type);
    out.put(b.value);
    out.put(b.haematocrit);
    out.put(b.po2_mmHg);
  }
}

Network load_network(BinaryReader& in) {
  Network net;
  net.node_id = in.get_vector<std::int64_t>();
  net.x = in.get_vector<double>();
  net.y = in.get_vector<double>();
  net.z = in.get_vector<double>();
  net.segment_id = in.get_vector<std::int64_t>();
  net.segment_from = in.get_vector<index_t>();
  net.segment_to = in.get_vector<index_t>();
  net.radius = in.get_vector<double>();
  net.length = in.get_vector<double>();
  net.kind = in.get_vector<SegmentKind>();
  net.zone = in.get_vector<double>();
  net.tissue_volume = in.get_vector<double>();
  net.haematocrit = in.get_vector<double>();
  net.file_flow = in.get_vector<double>();
  net.tissue_box = in.get_vector<double>();
  const std::uint64_t nb = in.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < nb; ++i) {
    BoundaryCondition b;
    b.node = in.get<index_t>();
    b.type = in.get<BoundaryType>();
    b.value = in.get<double>();
    b.haematocrit = in.get<double>();
    b.po2_mmHg = in.get<double>();
    net.boundaries.push_back(b);
  }
  const std::size_t nn = net.num_nodes(), ns = net.num_segments();
  if (net.x.size() != nn || net.y.size() != nn || net.z.size() != nn || net.segment_from.size() != ns ||
      net.segment_to.size() != ns || net.radius.size() != ns || net.length.size() != ns || net.kind.size() != ns ||
      net.zone.size() != ns || net.tissue_volume.size() != ns)
    in.corrupt("network arrays of different lengths");
  for (std::size_t s = 0; s < ns; ++s)
    if (net.segment_from[s] < 0 || net.segment_to[s] < 0 || std::size_t(net.segment_from[s]) >= nn ||
        std::size_t(net.segment_to[s]) >= nn)
      in.corrupt("segment end node out of range");
  for (const auto& b : net.boundaries)
    if (b.node < 0 || std::size_t(b.node) >= nn) in.corrupt("boundary node out of range");
  return net;
}

void write_checkpoint_file(const std::string& path, const std::string& payload) {
  write_file_atomically(path, [&](std::ostream& out) {
    const std::uint32_t version = checkpoint_format_version, mark = byte_order_mark;
    const std::uint64_t length = payload.size();
    out.write(magic, sizeof magic);
    out.write(reinterpret_cast<const char*>(&version), sizeof version);
    out.write(reinterpret_cast<const char*>(&mark), sizeof mark);
    out.write(reinterpret_cast<const char*>(&length), sizeof length);
    out << raw_digest(payload) << payload;
  });
}

std::string read_checkpoint_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot read the checkpoint");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(path + ": cannot read the checkpoint");
  if (bytes.size() < header_bytes || bytes.compare(0, sizeof magic, magic, sizeof magic) != 0)
    throw IoError(path + " is not a hepaflow checkpoint (or is truncated)");
  std::uint32_t version, mark;
  std::uint64_t length;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&mark, bytes.data() + 12, 4);
  std::memcpy(&length, bytes.data() + 16, 8);
  if (mark != byte_order_mark) throw IoError(path + ": checkpoint written on a machine of the other byte order");
  if (version != checkpoint_format_version)
    throw InputError(path + ": checkpoint format version " + std::to_string(version) + ", this hepaflow reads version " +
                     std::to_string(checkpoint_format_version));
  if (length != bytes.size() - header_bytes)
    throw IoError(path + " is corrupt: " + std::to_string(bytes.size() - header_bytes) + " payload bytes, header says " +
                  std::to_string(length));
  std::string payload = bytes.substr(header_bytes);
  if (raw_digest(payload) != bytes.substr(24, 32)) throw IoError(path + " is corrupt: SHA-256 checksum mismatch");
  return payload;
}

}  // namespace hepaflow::io
