// Fuzz target: the unit/quantity parser (hepaflow/config/quantity.hpp).
// Input: byte 0 picks the Dimension (modulo their number), the rest is the quantity text.
// Expected outcomes: a value, or QuantityError (the documented rejection; reported as "exit 3",
// which is what the case parser turns it into). Checked besides: an accepted value is finite, and
// format_quantity() in the dimension's example unit reads back to it (exactly when a shortest form
// exists, else within 4 ulp: its contract).
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "hepaflow/config/quantity.hpp"

namespace {
constexpr hepaflow::Dimension kDimensions[] = {
    hepaflow::Dimension::dimensionless, hepaflow::Dimension::length,        hepaflow::Dimension::pressure,
    hepaflow::Dimension::viscosity,     hepaflow::Dimension::flow,          hepaflow::Dimension::time,
    hepaflow::Dimension::volume,        hepaflow::Dimension::dose_per_mass, hepaflow::Dimension::mass,
    hepaflow::Dimension::velocity,      hepaflow::Dimension::consumption_rate, hepaflow::Dimension::diffusivity,
    hepaflow::Dimension::exposure};

[[noreturn]] void finding(const char* what, std::string_view text, double a, double b) {
  std::fprintf(stderr, "fuzz_quantity: %s for '%.*s': %.17g vs %.17g\n", what, static_cast<int>(text.size()),
               text.data(), a, b);
  std::abort();
}
}  // namespace

std::string hf_fuzz_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return "ok";
  const hepaflow::Dimension d = kDimensions[data[0] % (sizeof kDimensions / sizeof kDimensions[0])];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    // The same text as a unit name (unit_factor is also what --set and format_quantity use).
    try {
      const double f = hepaflow::unit_factor(text, d);
      if (!(f > 0) || !std::isfinite(f)) finding("unit factor not positive and finite", text, f, 0);
    } catch (const hepaflow::QuantityError&) {
    }
    const double value = hepaflow::parse_quantity(text, d);
    if (!std::isfinite(value)) finding("accepted a non-finite value", text, value, 0);
    const std::string written = hepaflow::format_quantity(value, d, hepaflow::example_unit(d));
    const double back = hepaflow::parse_quantity(written, d);
    if (back != value && !(std::fabs(back - value) <= 4 * std::fabs(std::nextafter(value, 0.0) - value)))
      finding(("format_quantity gave '" + written + "', which does not read back").c_str(), text, value, back);
    return "ok";
  } catch (const hepaflow::QuantityError& e) {
    return std::string("exit 3: ") + e.what();
  }
}

HF_FUZZ_TARGET()
