// The worker protocol: a coordinator drives each rank of each implementation through two named
// pipes. It writes "case <index>" or "quit" lines to the rank's command pipe; the rank answers on
// its result pipe with one JSON line: first a ready line after initialisation, then one result
// line per case. Ranks block in read() between their turns, so an idle implementation costs no CPU
// while another is measured.
#pragma once

#include <string>

#include "chorus-bench/report.h"

namespace chorus::bench {

struct ReadyInfo {
  int rank = 0;
  int nranks = 0;
  int pid = 0;
  std::string host;
  std::string version;  // the implementation's version string
  std::string error;    // non-empty: initialisation failed, the rank exits
};

std::string EncodeReady(const ReadyInfo& r);
bool DecodeReady(const std::string& line, ReadyInfo* out, std::string* error);
std::string EncodeResult(const RankResult& r);
bool DecodeResult(const std::string& line, RankResult* out, std::string* error);

// Relaying a unique id (Chorus processes): rank 0 creates it and sends {"uid": hex} as its first
// line; the coordinator passes "uid <hex>" to the other ranks before anything else.
std::string EncodeUid(const std::string& hex);
bool DecodeUid(const std::string& line, std::string* hex, std::string* error);
std::string UidCommand(const std::string& hex);
bool ParseUidCommand(const std::string& line, std::string* hex);

// Command lines.
std::string CaseCommand(int index);  // "case 12"
inline constexpr const char* kQuitCommand = "quit";
// -1 for quit, the case index for a case command, -2 for anything else.
int ParseCommand(const std::string& line);

// Pipe names inside the run's directory.
std::string CommandPipe(const std::string& dir, const std::string& group, int rank);
std::string ResultPipe(const std::string& dir, const std::string& group, int rank);

}  // namespace chorus::bench
