#pragma once
// Unit constants: internal units are SI. Multiply a value in the named unit by the constant to get
// SI; divide an SI value by it to get the named unit. 1 mmHg = 133.322 Pa (PARAMETERS.md header).
namespace hepaflow::units {

inline constexpr double pi = 3.14159265358979323846;

inline constexpr double um = 1e-6;                 // micrometre -> m
inline constexpr double mm = 1e-3;                 // millimetre -> m
inline constexpr double mmHg = 133.322387415;      // mmHg -> Pa (760 mmHg = 101325 Pa)
inline constexpr double cP = 1e-3;                 // centipoise -> Pa s
inline constexpr double nl_per_min = 1e-12 / 60.0; // nanolitre/min -> m^3/s
inline constexpr double mm_per_s = 1e-3;           // mm/s -> m/s
inline constexpr double day = 86400.0;             // d -> s
/// Resistance unit mmHg·min/nl -> Pa·s/m^3
inline constexpr double mmHg_min_per_nl = mmHg / nl_per_min;

}  // namespace hepaflow::units
