#include "chorus-bench/table.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>

namespace chorus::bench {
namespace {

constexpr int kVariantWidth = 18;

std::string Printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Printf(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

std::string Pad(const std::string& s, int width) {
  if (static_cast<int>(s.size()) >= width) return s;
  return std::string(static_cast<std::size_t>(width) - s.size(), ' ') + s;
}

std::string Center(const std::string& s, int width) {
  if (static_cast<int>(s.size()) >= width) return s;
  const int left = (width - static_cast<int>(s.size())) / 2;
  return std::string(static_cast<std::size_t>(left), ' ') + s +
         std::string(static_cast<std::size_t>(width - left) - s.size(), ' ');
}

std::string MeasureColumns(const Measure& m) {
  std::string wrong = m.wrong < 0 ? "   N/A" : Printf("%6g", static_cast<double>(m.wrong));
  if (m.outcome == Outcome::kUnsupported) {
    return "  " + Pad("n/a", 7) + "  " + Pad("n/a", 6) + "  " + Pad("n/a", 6) + "  " + Pad("n/a", 6);
  }
  if (m.outcome == Outcome::kError) {
    // A failed call still shows the wrong count it may have produced before failing.
    return "  " + Pad("err", 7) + "  " + Pad("err", 6) + "  " + Pad("err", 6) + "  " + wrong;
  }
  return "  " + FormatNumber(m.time_us, 7) + "  " + FormatNumber(m.algbw, 6) + "  " +
         FormatNumber(m.busbw, 6) + "  " + wrong;
}

}  // namespace

std::string FormatNumber(double value, int width) {
  int power = 0;
  for (uint64_t v = 1; value >= static_cast<double>(v) && power < 19; v *= 10) ++power;
  if (power < width - 2) return Printf("%*.2f", width, value);
  if (power < width - 1) return Printf("%*.1f", width, value);
  if (power < width + 1) return Printf("%*.0f", width, value);
  return Printf("%*.1e", width, value);
}

std::string FormatRatio(double value) {
  // Small ratios keep two significant digits instead of rounding to 0.00.
  if (value >= 0.01) return FormatNumber(value, 6);
  if (value >= 0.0001) return Printf("%6.4f", value);
  return Printf("%6.0e", value);
}

std::string Preamble(const RunInfo& info) {
  std::string s;
  s += "# Collective test starting: chorus-bench " + info.collective + "\n";
  s += "# Command: " + info.command + "\n";
  std::string line = "# nRanks " + std::to_string(info.nranks) + " (" + info.launch + ")";
  for (const auto& [k, v] : info.settings) line += " " + k + ": " + v;
  s += line + "\n";
  for (const auto& [k, v] : info.environment) s += Printf("# %-20s : %s\n", k.c_str(), v.c_str());
  for (const GroupInfo& g : info.groups) {
    std::string what = g.baseline ? "baseline" : "measured";
    std::string l = Printf("# %-20s : %s", (what + " " + g.Label()).c_str(), g.version.c_str());
    if (!g.note.empty()) l += " [" + g.note + "]";
    s += l + "\n";
  }
  s += "#\n# Using devices\n";
  for (const std::string& r : info.rank_lines) s += r + "\n";
  return s;
}

std::string TableHeader(const TableLayout& layout) {
  std::string l1 = Printf("# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place          ",
                          "", "", "", "", "");
  std::string l2 = Printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s", "size", "count",
                          "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw",
                          "#wrong");
  std::string l3 = Printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s", "(B)",
                          "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
  // l1 is two characters longer than the columns under it (as in nccl-tests); align extras to l2.
  l1.resize(l2.size(), ' ');
  if (layout.show_variant) {
    l1 += std::string(2 + kVariantWidth, ' ');
    l2 += Printf("  %-*s", kVariantWidth, "algo");
    l3 += std::string(2 + kVariantWidth, ' ');
  }
  for (const std::string& b : layout.baselines) {
    l1 += "  " + Center(b + " out-of-place", 7 + 2 + 6 + 2 + 6 + 2 + 6);
    l2 += Printf("  %7s  %6s  %6s  %6s", "time", "busbw", "#wrong", "ratio");
    l3 += Printf("  %7s  %6s  %6s  %6s", "(us)", "(GB/s)", "", "(x)");
  }
  return l1 + "\n" + l2 + "\n" + l3 + "\n";
}

std::string TableRow(const Row& row, const std::vector<const Row*>& baselines, const TableLayout& layout) {
  const Case& c = row.kase;
  std::string s = Printf("%12zu  %12zu  %8s  %6s  %6d", c.shape.bytes, c.shape.elems, Name(c.dtype), OpColumn(c),
                         RootColumn(c));
  s += MeasureColumns(row.oop);
  s += MeasureColumns(row.ip);
  if (layout.show_variant) {
    s += Printf("  %-*s", kVariantWidth, row.variant.empty() ? "auto" : row.variant.c_str());
  }
  for (std::size_t i = 0; i < layout.baselines.size(); ++i) {
    const Row* b = i < baselines.size() ? baselines[i] : nullptr;
    if (b == nullptr || b->oop.outcome != Outcome::kOk) {
      const char* why = b == nullptr ? "-" : b->oop.outcome == Outcome::kError ? "err" : "n/a";
      s += "  " + Pad(why, 7) + "  " + Pad(why, 6) + "  " + Pad(why, 6) + "  " + Pad(why, 6);
      continue;
    }
    s += "  " + FormatNumber(b->oop.time_us, 7) + "  " + FormatNumber(b->oop.busbw, 6) + "  " +
         (b->oop.wrong < 0 ? "   N/A" : Printf("%6g", static_cast<double>(b->oop.wrong)));
    // No ratio against a wrong result, on either side.
    const bool clean = row.oop.wrong <= 0 && b->oop.wrong <= 0;
    if (clean && row.oop.outcome == Outcome::kOk && b->oop.time_us > 0.0 && row.oop.time_us > 0.0) {
      // busbw ratio = inverse time ratio (same bytes, same factor); defined even when busbw is 0.
      s += "  " + FormatRatio(b->oop.time_us / row.oop.time_us);
    } else {
      s += "  " + Pad("-", 6);
    }
  }
  return s;
}

std::string OutcomeNotes(const Row& row, std::set<std::string>* seen) {
  std::string s;
  for (const Measure* m : {&row.oop, &row.ip}) {
    const char* where = m == &row.oop ? "out-of-place" : "in-place";
    if (m->outcome == Outcome::kError) {
      s += "#  error (" + row.Label() + ", " + where + "): " + m->message + "\n";
    } else if (m->outcome == Outcome::kUnsupported && seen->insert(row.Label() + m->message).second) {
      s += "#  n/a (" + row.Label() + ", " + where + "): " + m->message + "\n";
    }
  }
  return s;
}

std::string TableFooter(const Report& report, const std::vector<std::string>& primary,
                        const std::vector<std::string>& baselines) {
  std::string s;
  int64_t wrong = 0;
  int errors = 0;
  for (const std::string& p : primary) {
    wrong += std::max<int64_t>(0, TotalWrong(report, p));
    errors += CountErrors(report, p);
  }
  s += Printf("# %-20s : %lld %s\n", "Out of bounds values", static_cast<long long>(wrong), wrong ? "FAILED" : "OK");
  for (const std::string& p : primary) {
    std::string suffix = primary.size() > 1 ? " (" + p + ")" : "";
    s += Printf("# %-20s : %g %s\n", "Avg bus bandwidth", AverageBusBw(report, p), suffix.c_str());
  }
  if (errors > 0) s += Printf("# %-20s : %d FAILED\n", "Failed measurements", errors);
  for (const std::string& b : baselines) {
    const int64_t bw = TotalWrong(report, b);
    // -1: no result was checked (-c 0, or the memory floor, which computes none).
    const std::string wrong = bw < 0 ? "not checked" : Printf("%lld %s", static_cast<long long>(bw), bw > 0 ? "FAILED" : "OK");
    s += Printf("# %-20s : out of bounds values %s, avg bus bandwidth %g, failed measurements %d\n",
                ("baseline " + b).c_str(), wrong.c_str(), AverageBusBw(report, b), CountErrors(report, b));
    for (const std::string& p : primary) {
      const double ratio = MeanRatio(report, p, b);
      s += Printf("# %-20s : %.3f (geometric mean over sizes of out-of-place time %s / %s)\n",
                  ("ratio " + p + "/" + b).c_str(), ratio, b.c_str(), p.c_str());
    }
  }
  s += "#\n";
  return s;
}

}  // namespace chorus::bench
