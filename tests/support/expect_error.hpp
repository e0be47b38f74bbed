#pragma once
// The message of the InputError a callable throws, or a test failure naming what happened instead.
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "hepaflow/error.hpp"

namespace hepaflow::test {

template <class F>
std::string input_error_message(F&& read) {
  try {
    read();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected InputError, but reading succeeded";
  return {};
}

}  // namespace hepaflow::test
