# Checking builds, clang only, each in a build directory of its own
# (scripts/test uses build-san/); release builds use neither:
#   -DISOLCPUS_SANITIZE=address,undefined   every library, test and binary built
#                                           with those sanitizers; any report aborts
#   -DISOLCPUS_FUZZ=ON                      the libFuzzer targets of tests/fuzz
# Included before the layers are defined, so the flags reach every target.
set(ISOLCPUS_SANITIZE "" CACHE STRING "Sanitizers for a checking build, e.g. address,undefined (clang only)")
option(ISOLCPUS_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(NOT ISOLCPUS_SANITIZE AND NOT ISOLCPUS_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "ISOLCPUS_SANITIZE and ISOLCPUS_FUZZ need clang: configure a fresh build directory "
                      "with -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ (apt-get install clang)")
endif()

include(CheckCXXSourceCompiles)

# A missing runtime library must stop the configure, not drop the check.
function(isolcpus_require_flags flags what)
  set(CMAKE_REQUIRED_FLAGS "${flags}")
  set(CMAKE_REQUIRED_LINK_OPTIONS "${flags}")
  unset(isolcpus_flags_work CACHE)
  check_cxx_source_compiles("${ARGN}" isolcpus_flags_work)
  if(NOT isolcpus_flags_work)
    message(FATAL_ERROR "${CMAKE_CXX_COMPILER} cannot build with ${flags}: ${what}")
  endif()
  unset(isolcpus_flags_work CACHE)
endfunction()

if(ISOLCPUS_SANITIZE)
  isolcpus_require_flags("-fsanitize=${ISOLCPUS_SANITIZE}"
    "install the sanitizer runtimes (apt-get install libclang-rt-14-dev)"
    "int main() { return 0; }")
  # Recovering from UB would print and go on, and a test could still pass:
  # every report must fail the run.
  add_compile_options(-fsanitize=${ISOLCPUS_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${ISOLCPUS_SANITIZE} -fno-sanitize-recover=all)
endif()

if(ISOLCPUS_FUZZ)
  if(NOT ISOLCPUS_SANITIZE)
    # Without a sanitizer a fuzzer finds only outright crashes, and the
    # coverage hooks below would have no runtime in the non-fuzz binaries.
    message(FATAL_ERROR "ISOLCPUS_FUZZ needs a sanitizer build: add -DISOLCPUS_SANITIZE=address,undefined")
  endif()
  isolcpus_require_flags("-fsanitize=fuzzer"
    "libFuzzer is missing (apt-get install libclang-rt-14-dev)"
    "#include <cstddef>\n#include <cstdint>\n"
    "extern \"C\" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }")
  # Coverage feedback from the parsers themselves, not only the harnesses;
  # harmless in the other binaries (the sanitizer runtimes define the hooks).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
