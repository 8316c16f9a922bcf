// The C++ wrapper: RAII, exceptions with the library's message, C99-clean C header.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "chorus/chorus.hpp"

TEST(CppWrapper, AllRanksAsThreadsThroughAGroup) {
  std::vector<chorus::Comm> comms = chorus::Comm::All(3);
  ASSERT_EQ(comms.size(), 3u);
  std::vector<std::vector<int32_t>> data(3, std::vector<int32_t>(10));
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(comms[r].rank(), r);
    EXPECT_EQ(comms[r].size(), 3);
    for (auto& x : data[r]) x = r + 1;
  }
  {
    chorus::Group g;
    for (int r = 0; r < 3; ++r) comms[r].allReduce(data[r].data(), data[r].data(), 10, chorusInt32, chorusProd);
    g.end();
  }
  for (int r = 0; r < 3; ++r) EXPECT_EQ(data[r][9], 6);
}

TEST(CppWrapper, ErrorsBecomeExceptionsWithMessages) {
  chorus::Comm c(1, chorus::NewUniqueId(), 0);
  float x = 0;
  try {
    c.allReduce(&x, &x, 1, chorusFloat32, static_cast<chorusRedOp_t>(42));
    FAIL() << "no exception";
  } catch (const chorus::Error& e) {
    EXPECT_EQ(e.code(), chorusInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("invalid reduction op 42"), std::string::npos) << e.what();
  }
  chorus::Comm moved = std::move(c);
  EXPECT_EQ(c.get(), nullptr);
  EXPECT_EQ(moved.size(), 1);
}
