// chorus-run -n N [options] [--] program [args...]: runs N local ranks of a Chorus program.
//
// Plain argv parsing on purpose: everything from the program name on belongs to the program, with
// no risk of an option parser claiming the program's own flags.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tools/chorus-run/launcher.h"

namespace {

constexpr const char* kUsage =
    "usage: chorus-run -n N [options] [--] program [args...]\n"
    "\n"
    "Runs N processes of program on this host. Each gets CHORUS_RANK, CHORUS_WORLD_SIZE,\n"
    "CHORUS_LOCAL_RANK, CHORUS_LOCAL_SIZE and CHORUS_UNIQUE_ID (rank 0 listens at the id's\n"
    "address) and is read by chorusCommInitFromEnv. Output passes through unchanged.\n"
    "If a rank exits non-zero or is killed, the others are stopped (SIGTERM after the grace\n"
    "period, SIGKILL after another) and chorus-run exits with that rank's code (128+signal\n"
    "for a killed rank). SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded;\n"
    "a second SIGINT/SIGTERM kills every rank.\n"
    "\n"
    "options:\n"
    "  -n, -np, --np N     number of ranks (required, 1..4096)\n"
    "  --timeout S         stop the job after S seconds and exit with 124\n"
    "  --grace S           seconds between a failure and SIGTERM, and SIGTERM and SIGKILL (default 2)\n"
    "  --root-addr IP      numeric address rank 0 listens on (default 127.0.0.1)\n"
    "  -v, --verbose       say which pid each rank has and how each ended\n"
    "  -h, --help          this text\n";

int UsageError(const std::string& msg) {
  fprintf(stderr, "chorus-run: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

bool ParseNumber(const char* s, double lo, double hi, double* out) {
  if (s == nullptr || *s == 0) return false;
  errno = 0;
  char* end = nullptr;
  double v = strtod(s, &end);
  if (errno != 0 || *end != 0 || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  chorus::run::LaunchOptions opts;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    bool has_inline = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      has_inline = true;
    }
    auto next = [&](const char* name) -> const char* {
      if (has_inline) return value.c_str();
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
    }
    if (a == "-v" || a == "--verbose") {
      opts.verbose = true;
    } else if (a == "-n" || a == "-np" || a == "--np") {
      double v;
      const char* s = next("-n");
      if (!ParseNumber(s, 1, 4096, &v) || v != static_cast<int>(v)) {
        return UsageError(std::string("-n needs a whole number of ranks in 1..4096, got '") + (s ? s : "") + "'");
      }
      opts.nranks = static_cast<int>(v);
    } else if (a == "--timeout") {
      const char* s = next("--timeout");
      if (!ParseNumber(s, 0.001, 1e9, &opts.timeout_s)) return UsageError("--timeout needs a positive number of seconds");
    } else if (a == "--grace") {
      const char* s = next("--grace");
      if (!ParseNumber(s, 0, 3600, &opts.grace_s)) return UsageError("--grace needs seconds in 0..3600");
    } else if (a == "--root-addr") {
      const char* s = next("--root-addr");
      if (s == nullptr) return UsageError("--root-addr needs an address");
      opts.root_host = s;
    } else if (!a.empty() && a[0] == '-') {
      return UsageError("unknown option '" + a + "'");
    } else {
      break;  // the program
    }
  }
  for (; i < argc; ++i) opts.command.push_back(argv[i]);
  if (opts.nranks == 0) return UsageError("-n N is required");
  if (opts.command.empty()) return UsageError("no program given");
  return chorus::run::Launch(opts);
}
