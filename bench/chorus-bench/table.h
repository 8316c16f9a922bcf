// The text table, laid out as nccl-tests prints it (same columns, widths and number formats), so
// that its parsers and people's eyes work on ours. Extra columns go after the in-place #wrong: the
// algorithm when several run, then per baseline its out-of-place time, busbw, #wrong and our ratio.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "chorus-bench/report.h"

namespace chorus::bench {

struct TableLayout {
  bool show_variant = false;
  std::vector<std::string> baselines;  // baseline labels, four columns each
};

// nccl-tests' number format: `width` characters, 2 decimals while they fit, then 1, then 0, then
// exponent notation.
std::string FormatNumber(double value, int width);
// A ratio in 6 characters: FormatNumber down to 0.01, then 0.0034, then 3e-05 (never 0.00).
std::string FormatRatio(double value);

std::string Preamble(const RunInfo& info);       // "#" lines: command, settings, machine, ranks
std::string TableHeader(const TableLayout& layout);
// One line, no newline. baselines[i] is the row of layout.baselines[i] for this case (or null).
std::string TableRow(const Row& row, const std::vector<const Row*>& baselines, const TableLayout& layout);
// Comment lines explaining a row's failures ("#  error (chorus): ...", every time) and why a
// measurement is n/a ("#  n/a (mpi): MPI has no half datatype", once per distinct reason).
std::string OutcomeNotes(const Row& row, std::set<std::string>* seen);

// "# Out of bounds values : 0 OK", "# Avg bus bandwidth    : 1.23", and per baseline its totals and
// the geometric-mean ratio. `primary` are the labels of the measured implementation.
std::string TableFooter(const Report& report, const std::vector<std::string>& primary,
                        const std::vector<std::string>& baselines);

}  // namespace chorus::bench
