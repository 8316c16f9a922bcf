// memcpy bandwidth of a large buffer (the floor's denominator), 1 process.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
int main(int argc, char** argv) {
  size_t bytes = (argc > 1 ? atol(argv[1]) : 256) << 20;
  char* a = (char*)aligned_alloc(4096, bytes); char* b = (char*)aligned_alloc(4096, bytes);
  memset(a, 1, bytes); memset(b, 2, bytes);
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now(); memcpy(b, a, bytes); auto t1 = std::chrono::steady_clock::now();
    double gbs = bytes / std::chrono::duration<double>(t1 - t0).count() / 1e9; if (gbs > best) best = gbs;
  }
  printf("memcpy %zu MiB: %.2f GB/s\n", bytes >> 20, best);
}
