// Writing a report as JSON (one document: run description, every row with per-rank times, and
// summaries) or CSV (one line per implementation and case, the run description repeated in each
// line so that files from several runs can be concatenated).
#pragma once

#include <string>

#include "chorus-bench/report.h"

namespace chorus::bench {

std::string ReportToJson(const Report& r);
std::string ReportToCsv(const Report& r);
// Writes `content` to `path` ("-" is stdout). False with a message on failure.
bool WriteTextFile(const std::string& path, const std::string& content, std::string* error);

}  // namespace chorus::bench
