#pragma once
// Quantities with units in case files: "8 um", "6 mmHg", "3.5 cP", "5 nl/min", "14 d", "1e6 cells/kg".
// parse_quantity() turns such a string into its SI value after checking that the unit belongs to the
// expected dimension; format_quantity() writes an SI value back in a chosen unit. The units and their
// factors are one table in quantity.cpp (factors from hepaflow/units.hpp). DESIGN.md "Conventions".
#include <stdexcept>
#include <string>
#include <string_view>

namespace hepaflow {

/// What a quantity measures; each has its own set of accepted units (accepted_units()).
enum class Dimension {
  dimensionless,  ///< plain number ("0.45"), or "%"
  length,         ///< SI: m
  pressure,       ///< SI: Pa
  viscosity,      ///< SI: Pa s
  flow,           ///< volume flow, SI: m^3/s
  time,           ///< SI: s
  volume,         ///< SI: m^3
  dose_per_mass,  ///< cell dose per body mass, SI: cells/kg
  mass,           ///< SI: kg
  velocity,       ///< SI: m/s
  consumption_rate,  ///< O2 consumption per tissue volume, SI: mol m^-3 s^-1
  diffusivity,       ///< diffusion coefficient, SI: m^2/s
  exposure,          ///< MSC exposure: cells x time per tissue volume, SI: cells s m^-3
  memory,            ///< an amount of memory, in bytes ("8 GiB", "512 MB")
};

/// A quantity string that cannot be read (no number, no/unknown unit, wrong dimension, NaN/Inf).
/// The message names the text and, for unit problems, the units the dimension accepts.
struct QuantityError : std::invalid_argument {
  explicit QuantityError(const std::string& m) : std::invalid_argument(m) {}
};

/// "a length", "a pressure", ..., for messages.
std::string dimension_phrase(Dimension d);
/// The units `d` accepts, comma separated in table order ("m, mm, um, nm" ...).
std::string accepted_units(Dimension d);
/// The unit used in examples and messages for `d` ("um", "mmHg", "cP", ...; "" for dimensionless).
std::string_view example_unit(Dimension d);

/// Parse "<number> [<unit>]" (space optional, "µm"/"μm" = "um", "mPa*s" = "mPa s" = "mPa·s") and
/// return the value in SI units. A dimensionless quantity may omit the unit; all others must
/// have one. Throws QuantityError, e.g. "'6 mmHg' is a pressure, expected a length".
double parse_quantity(std::string_view text, Dimension expected);

/// SI value of one `unit` of dimension `d` (e.g. unit_factor("mmHg", pressure) = 133.322...).
/// Throws QuantityError for units that do not belong to `d`.
double unit_factor(std::string_view unit, Dimension d);

/// Write an SI value in `unit` ("3.5 cP"): the shortest number (at most 17 significant digits) that
/// parse_quantity() reads back to exactly `si` where one exists, else 17 digits. Throws QuantityError
/// for units that do not belong to `d` and for non-finite values.
std::string format_quantity(double si, Dimension d, std::string_view unit);

}  // namespace hepaflow
