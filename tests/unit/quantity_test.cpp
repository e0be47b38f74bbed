// Quantity strings with units -> SI values (solver/src/config/quantity.cpp).
#include "hepaflow/config/quantity.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

struct Case {
  const char* text;
  Dimension dimension;
  double si;
};

std::string error_of(std::string_view text, Dimension d) {
  try {
    parse_quantity(text, d);
  } catch (const QuantityError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Quantity, EachAcceptedSpellingConvertsToSI) {
  const Case cases[] = {
      {"8 um", Dimension::length, 8e-6},
      {"8um", Dimension::length, 8e-6},
      {"8 \xC2\xB5m", Dimension::length, 8e-6},      // micro sign
      {"8 \xCE\xBCm", Dimension::length, 8e-6},      // Greek mu
      {"0.5 mm", Dimension::length, 0.5e-3},
      {"1e-6 m", Dimension::length, 1e-6},
      {"  2.5   cm ", Dimension::length, 2.5e-2},
      {"+3 nm", Dimension::length, 3e-9},
      {"6 mmHg", Dimension::pressure, 6 * 133.322387415},
      {"800 Pa", Dimension::pressure, 800.0},
      {"1 kPa", Dimension::pressure, 1000.0},
      {"0.8 cmH2O", Dimension::pressure, 0.8 * 98.0665},
      {"68 mmH2O", Dimension::pressure, 68 * 9.80665},
      {"-2 mmHg", Dimension::pressure, -2 * 133.322387415},
      {"3.5 cP", Dimension::viscosity, 3.5e-3},
      {"3.5 mPa s", Dimension::viscosity, 3.5e-3},
      {"3.5 mPa*s", Dimension::viscosity, 3.5e-3},
      {"3.5 mPa\xC2\xB7s", Dimension::viscosity, 3.5e-3},
      {"0.0035 Pa s", Dimension::viscosity, 0.0035},
      {"5 nl/min", Dimension::flow, 5e-12 / 60},
      {"5 nL/min", Dimension::flow, 5e-12 / 60},
      {"5 nl / min", Dimension::flow, 5e-12 / 60},
      {"1e-12 m^3/s", Dimension::flow, 1e-12},
      {"1e-12 m3/s", Dimension::flow, 1e-12},
      {"1 ul/min", Dimension::flow, 1e-9 / 60},
      {"1 \xC2\xB5l/min", Dimension::flow, 1e-9 / 60},
      {"2 ml/min", Dimension::flow, 2e-6 / 60},
      {"14 d", Dimension::time, 14 * 86400.0},
      {"2 h", Dimension::time, 7200.0},
      {"30 min", Dimension::time, 1800.0},
      {"1 s", Dimension::time, 1.0},
      {"8 wk", Dimension::time, 56 * 86400.0},
      {"90 fl", Dimension::volume, 90e-18},
      {"1 um^3", Dimension::volume, 1e-18},
      {"1e6 cells/kg", Dimension::dose_per_mass, 1e6},
      {"70 kg", Dimension::mass, 70.0},
      {"1.5 kg", Dimension::mass, 1.5},
      {"250 g", Dimension::mass, 0.25},
      {"0.3 mm/s", Dimension::velocity, 0.3e-3},
      {"300 um/s", Dimension::velocity, 300e-6},
      {"0.45", Dimension::dimensionless, 0.45},
      {"45 %", Dimension::dimensionless, 0.45},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const double value = parse_quantity(c.text, c.dimension);
    EXPECT_NEAR(value, c.si, 1e-12 * std::abs(c.si));
  }
}

TEST(Quantity, FactorsComeFromTheUnitsHeader) {
  EXPECT_EQ(parse_quantity("1 mmHg", Dimension::pressure), units::mmHg);
  EXPECT_EQ(parse_quantity("1 um", Dimension::length), units::um);
  EXPECT_EQ(parse_quantity("1 cP", Dimension::viscosity), units::cP);
  EXPECT_EQ(parse_quantity("1 nl/min", Dimension::flow), units::nl_per_min);
  EXPECT_EQ(parse_quantity("1 d", Dimension::time), units::day);
  EXPECT_EQ(parse_quantity("1 mm/s", Dimension::velocity), units::mm_per_s);
}

TEST(Quantity, MissingUnitIsAnErrorWithAnExample) {
  EXPECT_EQ(error_of("6", Dimension::pressure), "'6' needs a unit, e.g. \"6 mmHg\"");
  EXPECT_EQ(error_of("3.5", Dimension::viscosity), "'3.5' needs a unit, e.g. \"3.5 cP\"");
}

TEST(Quantity, UnknownUnitListsTheUnitsOfTheDimension) {
  EXPECT_EQ(error_of("6 mmHgg", Dimension::pressure),
            "unknown unit 'mmHgg' in '6 mmHgg': a pressure takes mmHg, Pa, kPa, cmH2O, mmH2O");
  EXPECT_EQ(error_of("8 furlong", Dimension::length),
            "unknown unit 'furlong' in '8 furlong': a length takes um, nm, mm, cm, m");
}

TEST(Quantity, WrongDimensionNamesBoth) {
  EXPECT_EQ(error_of("6 mmHg", Dimension::length), "'6 mmHg' is a pressure, expected a length");
  EXPECT_EQ(error_of("2 nl/min", Dimension::volume), "'2 nl/min' is a flow, expected a volume");
  EXPECT_EQ(error_of("90 fl", Dimension::dimensionless), "'90 fl' is a volume, expected a dimensionless number");
}

TEST(Quantity, GarbageIsAnError) {
  EXPECT_EQ(error_of("abc", Dimension::length), "'abc' is not a quantity: expected a number and a unit, e.g. \"8 um\"");
  EXPECT_EQ(error_of("", Dimension::pressure), "'' is not a quantity: expected a number and a unit, e.g. \"8 mmHg\"");
  EXPECT_EQ(error_of("um 8", Dimension::length), "'um 8' is not a quantity: expected a number and a unit, e.g. \"8 um\"");
  EXPECT_EQ(error_of("8 um um", Dimension::length).rfind("unknown unit 'um um'", 0), 0u);
}

TEST(Quantity, NanAndInfAreErrors) {
  EXPECT_EQ(error_of("nan um", Dimension::length), "'nan um' is not a finite number");
  EXPECT_EQ(error_of("inf mmHg", Dimension::pressure), "'inf mmHg' is not a finite number");
  EXPECT_EQ(error_of("-inf Pa", Dimension::pressure), "'-inf Pa' is not a finite number");
  EXPECT_EQ(error_of("1e999 Pa", Dimension::pressure), "'1e999 Pa': the number is out of range");
}

TEST(Quantity, ErrorsAreInvalidArgument) {
  EXPECT_THROW(parse_quantity("6 mmHg", Dimension::length), std::invalid_argument);
}

TEST(Quantity, FormatWritesTheShortestNumberThatReadsBack) {
  EXPECT_EQ(format_quantity(3.5e-3, Dimension::viscosity, "cP"), "3.5 cP");
  EXPECT_EQ(format_quantity(8 * units::mmHg, Dimension::pressure, "mmHg"), "8 mmHg");
  EXPECT_EQ(format_quantity(1e-6, Dimension::length, "um"), "1 um");
  EXPECT_EQ(format_quantity(2 * units::nl_per_min, Dimension::flow, "nl/min"), "2 nl/min");
  EXPECT_EQ(format_quantity(0.45, Dimension::dimensionless, ""), "0.45");
  for (const double si : {1.0 / 3.0, 1e-300, 123456.789, 7.25e-12}) {
    const std::string text = format_quantity(si, Dimension::pressure, "mmHg");
    EXPECT_NEAR(parse_quantity(text, Dimension::pressure), si, 1e-15 * si) << text;
  }
}

TEST(Quantity, FormatRejectsAUnitOfAnotherDimension) {
  EXPECT_THROW(format_quantity(1.0, Dimension::length, "mmHg"), QuantityError);
  EXPECT_THROW(format_quantity(std::numeric_limits<double>::infinity(), Dimension::length, "um"), QuantityError);
}

TEST(Quantity, AcceptedUnitsAndExamplesAreListed) {
  EXPECT_EQ(accepted_units(Dimension::viscosity), "cP, mPa s, Pa s");
  EXPECT_EQ(example_unit(Dimension::flow), "nl/min");
  EXPECT_EQ(dimension_phrase(Dimension::dose_per_mass), "a dose per body mass");
  EXPECT_EQ(unit_factor("kPa", Dimension::pressure), 1000.0);
}

}  // namespace
}  // namespace hepaflow
