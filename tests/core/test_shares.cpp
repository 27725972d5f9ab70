#include "test_prelude.hpp"

#include <algorithm>

#include "curvtrack/core/shares.hpp"

using namespace curvtrack;

TEST_CASE("shares split items into contiguous blocks differing by at most one", "[unit]") {
  for (std::int64_t items : {1, 7, 10, 1023}) {
    for (int ranks : {1, 2, 3, 4}) {
      std::int64_t next = 0, smallest = items, largest = 0;
      for (int rank = 0; rank < ranks; ++rank) {
        core::Share share = core::share_of(items, rank, ranks);
        REQUIRE(share.begin == next);
        next = share.end;
        smallest = std::min(smallest, share.end - share.begin);
        largest = std::max(largest, share.end - share.begin);
      }
      CHECK(next == items);
      CHECK(largest - smallest <= 1);
    }
  }
}
