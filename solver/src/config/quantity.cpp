// Quantity strings ("8 um", "6 mmHg", "3.5 mPa*s") -> SI values, and back. One table of units below;
// everything else (accepted spellings, messages, formatting) is derived from it.
#include "hepaflow/config/quantity.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

struct Unit {
  std::string_view name;  ///< canonical spelling (as listed in messages and docs)
  Dimension dimension;
  double factor;          ///< SI value of one unit
};

namespace u = units;
constexpr double litre = 1e-3;  // m^3
constexpr double minute = 60.0; // s

// The accepted units. Within a dimension the first entry is the example unit of messages.
// Spelling variants (µ/μ for u, "*" or "·" for the space in "Pa s", "L" for "l", "m3" for "m^3")
// are folded by normalize_unit() and need no entries.
constexpr Unit unit_table[] = {
    {"%", Dimension::dimensionless, 0.01},
    {"um", Dimension::length, u::um},
    {"nm", Dimension::length, 1e-9},
    {"mm", Dimension::length, u::mm},
    {"cm", Dimension::length, 1e-2},
    {"m", Dimension::length, 1.0},
    {"mmHg", Dimension::pressure, u::mmHg},
    {"Pa", Dimension::pressure, 1.0},
    {"kPa", Dimension::pressure, 1e3},
    {"cmH2O", Dimension::pressure, 98.0665},   // 1 cmH2O = 98.0665 Pa (conventional, g = 9.80665)
    {"mmH2O", Dimension::pressure, 9.80665},
    {"cP", Dimension::viscosity, u::cP},
    {"mPa s", Dimension::viscosity, 1e-3},
    {"Pa s", Dimension::viscosity, 1.0},
    {"nl/min", Dimension::flow, u::nl_per_min},
    {"nl/s", Dimension::flow, 1e-12},
    {"pl/min", Dimension::flow, 1e-15 / minute},
    {"pl/s", Dimension::flow, 1e-15},
    {"ul/min", Dimension::flow, 1e-9 / minute},
    {"ul/s", Dimension::flow, 1e-9},
    {"ml/min", Dimension::flow, 1e-6 / minute},
    {"ml/s", Dimension::flow, 1e-6},
    {"um^3/s", Dimension::flow, 1e-18},
    {"mm^3/s", Dimension::flow, 1e-9},
    {"m^3/s", Dimension::flow, 1.0},
    {"d", Dimension::time, u::day},
    {"h", Dimension::time, 3600.0},
    {"min", Dimension::time, minute},
    {"s", Dimension::time, 1.0},
    {"ms", Dimension::time, 1e-3},
    {"wk", Dimension::time, 7.0 * u::day},
    {"fl", Dimension::volume, 1e-18},
    {"pl", Dimension::volume, 1e-15},
    {"nl", Dimension::volume, 1e-12},
    {"ul", Dimension::volume, 1e-9},
    {"ml", Dimension::volume, 1e-6},
    {"l", Dimension::volume, litre},
    {"um^3", Dimension::volume, 1e-18},
    {"mm^3", Dimension::volume, 1e-9},
    {"m^3", Dimension::volume, 1.0},
    {"cells/kg", Dimension::dose_per_mass, 1.0},
    {"cells/g", Dimension::dose_per_mass, 1e3},
    {"kg", Dimension::mass, 1.0},
    {"g", Dimension::mass, 1e-3},
    {"mg", Dimension::mass, 1e-6},
    {"mm/s", Dimension::velocity, u::mm_per_s},
    {"um/s", Dimension::velocity, 1e-6},
    {"m/s", Dimension::velocity, 1.0},
    // O2 consumption: umol per g tissue per hour taken at 1 g/ml (Matsumura & Thurman 1983 report
    // umol/g/h); ml O2 (STP, 22.4 l/mol) per ml tissue per s as in Secomb's codes.
    {"mol/m^3/s", Dimension::consumption_rate, 1.0},
    {"umol/g/h", Dimension::consumption_rate, 1e-6 / 1e-6 / 3600.0},
    {"ml/ml/s", Dimension::consumption_rate, 1.0 / 22.4e-3},
    {"m^2/s", Dimension::diffusivity, 1.0},
    {"cm^2/s", Dimension::diffusivity, 1e-4},
    {"um^2/s", Dimension::diffusivity, 1e-12},
    // MSC exposure (PARAMETERS.md §7.3 step 3: cell days per tissue volume; 1 g liver taken as 1 ml).
    {"cells d/ml", Dimension::exposure, u::day / 1e-6},
    {"cells d/g", Dimension::exposure, u::day / 1e-6},
    {"cells s/m^3", Dimension::exposure, 1.0},
    // Memory (solver.memory_limit): IEC binary and SI decimal prefixes.
    {"GiB", Dimension::memory, 1073741824.0},
    {"MiB", Dimension::memory, 1048576.0},
    {"KiB", Dimension::memory, 1024.0},
    {"TiB", Dimension::memory, 1099511627776.0},
    {"GB", Dimension::memory, 1e9},
    {"MB", Dimension::memory, 1e6},
    {"kB", Dimension::memory, 1e3},
    {"TB", Dimension::memory, 1e12},
    {"B", Dimension::memory, 1.0},
};

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Fold spelling variants: µ (U+00B5) and μ (U+03BC) -> u; '*' and '·' -> ' '; '^' dropped;
/// '³' -> 3; 'L' -> 'l'; runs of blanks -> one space; no blanks around '/'.
std::string normalize_unit(std::string_view text) {
  std::string out;
  const auto blank = [&out] {
    if (!out.empty() && out.back() != ' ' && out.back() != '/') out += ' ';
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if ((c == 0xC2 && next == 0xB5) || (c == 0xCE && next == 0xBC)) { out += 'u'; ++i; }
    else if (c == 0xC2 && next == 0xB7) { blank(); ++i; }
    else if (c == 0xC2 && next == 0xB3) { out += '3'; ++i; }
    else if (c == '*' || c == ' ' || c == '\t') blank();
    else if (c == '^') {}
    else if (c == '/') { if (!out.empty() && out.back() == ' ') out.pop_back(); out += '/'; }
    else if (c == 'L') out += 'l';
    else out += static_cast<char>(c);
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

const Unit* find_unit(std::string_view unit_text) {
  const std::string key = normalize_unit(unit_text);
  for (const Unit& unit : unit_table)
    if (normalize_unit(unit.name) == key) return &unit;
  return nullptr;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

std::string dimension_phrase(Dimension d) {
  switch (d) {
    case Dimension::dimensionless: return "a dimensionless number";
    case Dimension::length: return "a length";
    case Dimension::pressure: return "a pressure";
    case Dimension::viscosity: return "a viscosity";
    case Dimension::flow: return "a flow";
    case Dimension::time: return "a time";
    case Dimension::volume: return "a volume";
    case Dimension::dose_per_mass: return "a dose per body mass";
    case Dimension::mass: return "a mass";
    case Dimension::velocity: return "a velocity";
    case Dimension::consumption_rate: return "an O2 consumption rate";
    case Dimension::diffusivity: return "a diffusion coefficient";
    case Dimension::exposure: return "an MSC exposure (cells x time per tissue volume)";
    case Dimension::memory: return "an amount of memory";
  }
  return "a quantity";
}

std::string accepted_units(Dimension d) {
  std::string out;
  for (const Unit& unit : unit_table) {
    if (unit.dimension != d) continue;
    if (!out.empty()) out += ", ";
    out += unit.name;
  }
  return out;
}

std::string_view example_unit(Dimension d) {
  if (d == Dimension::dimensionless) return "";
  for (const Unit& unit : unit_table)
    if (unit.dimension == d) return unit.name;
  return "";
}

double unit_factor(std::string_view unit_text, Dimension d) {
  const std::string_view text = trim(unit_text);
  if (text.empty() && d == Dimension::dimensionless) return 1.0;
  const Unit* unit = find_unit(text);
  if (unit == nullptr)
    throw QuantityError("unknown unit " + quoted(text) + ": " + dimension_phrase(d) + " takes " +
                        (d == Dimension::dimensionless ? "no unit or %" : accepted_units(d)));
  if (unit->dimension != d)
    throw QuantityError(quoted(text) + " is " + dimension_phrase(unit->dimension) + " unit, expected " +
                        dimension_phrase(d));
  return unit->factor;
}

double parse_quantity(std::string_view raw, Dimension expected) {
  const std::string_view text = trim(raw);
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '+') rest.remove_prefix(1);  // from_chars takes no '+'
  double number = 0.0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
  const std::string example = "\"8 " + std::string(example_unit(expected == Dimension::dimensionless
                                                                     ? Dimension::length : expected)) + "\"";
  if (text.empty() || end == rest.data())
    throw QuantityError(quoted(text) + " is not a quantity: expected a number " +
                        (expected == Dimension::dimensionless ? std::string("(e.g. 0.45)")
                                                              : "and a unit, e.g. " + example));
  if (ec == std::errc::result_out_of_range)
    throw QuantityError(quoted(text) + ": the number is out of range");
  if (!std::isfinite(number)) throw QuantityError(quoted(text) + " is not a finite number");

  const std::string_view number_text(text.data(), static_cast<std::size_t>(end - text.data()));
  const std::string_view unit_text = trim(rest.substr(static_cast<std::size_t>(end - rest.data())));
  if (unit_text.empty()) {
    if (expected == Dimension::dimensionless) return number;
    throw QuantityError(quoted(text) + " needs a unit, e.g. \"" + std::string(number_text) + " " +
                        std::string(example_unit(expected)) + "\"");
  }
  const Unit* unit = find_unit(unit_text);
  if (unit == nullptr)
    throw QuantityError("unknown unit " + quoted(unit_text) + " in " + quoted(text) + ": " +
                        dimension_phrase(expected) + " takes " +
                        (expected == Dimension::dimensionless ? "no unit or %" : accepted_units(expected)));
  if (unit->dimension != expected)
    throw QuantityError(quoted(text) + " is " + dimension_phrase(unit->dimension) + ", expected " +
                        dimension_phrase(expected));
  return number * unit->factor;
}

std::string format_quantity(double si, Dimension d, std::string_view unit) {
  const double factor = unit_factor(unit, d);
  if (!std::isfinite(si)) throw QuantityError("cannot write a non-finite value as a quantity");
  const double value = si / factor;
  const std::string unit_part = trim(unit).empty() ? std::string() : " " + std::string(trim(unit));
  char buffer[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    double back = 0.0;
    std::from_chars(buffer, buffer + std::char_traits<char>::length(buffer), back);
    if (back * factor == si) return buffer + unit_part;
  }
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer + unit_part;
}

}  // namespace hepaflow
