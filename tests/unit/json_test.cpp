#include <gtest/gtest.h>

#include "hepaflow/io/json.hpp"

TEST(JsonObject, EscapesStringsAndKeepsOrderAndNesting) {
  hepaflow::io::JsonObject inner;
  inner.add("solve_s", 0.25);
  hepaflow::io::JsonObject o;
  o.add("name", "a \"quoted\"\nline").add("segments", std::size_t{12}).add("ok", true).add("nan", 0.0 / 0.0);
  o.add("timings", inner);
  EXPECT_EQ(o.str(),
            "{\n  \"name\": \"a \\\"quoted\\\"\\nline\",\n  \"segments\": 12,\n  \"ok\": true,\n  \"nan\": null,\n"
            "  \"timings\": {\n    \"solve_s\": 0.25\n  }\n}");
}
