// AbortMessage: runs code that is expected to abort (a programming-error check) in a forked child and returns
// what it wrote to stderr, so tests can assert on the message. For Catch2 tests; POSIX only.
#pragma once

#include <functional>
#include <string>

namespace catena::testing {

// Runs `fn` in a forked child; returns its stderr when it died of SIGABRT, else "<no abort>".
std::string AbortMessage(const std::function<void()>& fn);

}  // namespace catena::testing
