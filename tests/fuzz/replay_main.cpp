// A libFuzzer-compatible driver for compilers without libFuzzer (g++): runs
// LLVMFuzzerTestOneInput once on every file given, or every file in every
// directory given. The g++ builds (dev, ci, asan) replay the seed corpora
// with it, so the targets stay compiled and their seeds stay crash-free;
// the clang `fuzz` preset links the real libFuzzer instead (tests/fuzz/run.sh).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && !in) {
    std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return 1;
  }
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int failures = 0, inputs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path))
        if (entry.is_regular_file() && entry.path().filename() != "SOURCE") {
          failures += replay(entry.path());
          ++inputs;
        }
    } else {
      failures += replay(path);
      ++inputs;
    }
  }
  std::printf("replayed %d input(s)\n", inputs);
  return failures == 0 && inputs > 0 ? 0 : 1;
}
