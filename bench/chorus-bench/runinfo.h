// Describing a run (command, settings, machine) and finishing one (footer, JSON, CSV, plot).
#pragma once

#include <string>
#include <vector>

#include "chorus-bench/options.h"
#include "chorus-bench/report.h"

namespace chorus::bench {

// Command, collective, settings (nccl-tests' header fields) and the machine, plus every CHORUS_*
// variable set in the environment.
RunInfo DescribeRun(const Options& o, int nranks, const std::string& launch);

// Prints the footer, writes --json / --csv / --plot. Returns the exit code: 1 when a measured
// implementation had wrong elements or failed calls (or a file could not be written), else 0.
int FinishRun(const Report& r, const Options& o, const std::vector<std::string>& primary,
              const std::vector<std::string>& baselines);

// Runs bench/scripts/plot_busbw.py on a JSON report. "" on success, else why not.
std::string Plot(const std::string& json_path, const std::string& png_path);

}  // namespace chorus::bench
