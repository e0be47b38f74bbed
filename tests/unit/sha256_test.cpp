#include <gtest/gtest.h>

#include "hepaflow/io/sha256.hpp"

// FIPS 180-4 / NIST CSRC example vectors.
TEST(Sha256, MatchesNistExampleVectors) {
  EXPECT_EQ(hepaflow::io::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hepaflow::io::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hepaflow::io::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
