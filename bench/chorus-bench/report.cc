#include "chorus-bench/report.h"

#include <map>

namespace chorus::bench {

const char* Name(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kUnsupported: return "unsupported";
    case Outcome::kError: return "error";
  }
  return "?";
}

namespace {

Measure CombinePlacement(const Case& c, const std::vector<const RankMeasure*>& ranks, Average how,
                         int nranks) {
  Measure m;
  bool any_unsupported = false;
  bool any_error = false;
  bool all_checked = true;
  int64_t wrong = 0;
  for (const RankMeasure* r : ranks) {
    if (r->outcome == Outcome::kError && !any_error) {
      any_error = true;
      m.message = r->message;
    } else if (r->outcome == Outcome::kUnsupported && !any_unsupported && !any_error) {
      any_unsupported = true;
      m.message = r->message;
    }
    if (r->wrong < 0) {
      all_checked = false;
    } else {
      wrong += r->wrong;
    }
    m.rank_times_us.push_back(r->time_us);
  }
  m.outcome = any_error ? Outcome::kError : any_unsupported ? Outcome::kUnsupported : Outcome::kOk;
  // Wrong elements are reported even when a rank failed later: a time never hides them.
  m.wrong = all_checked ? wrong : (wrong > 0 ? wrong : -1);
  if (m.outcome == Outcome::kOk) {
    m.time_us = CombineTimes(m.rank_times_us, how);
    const Bandwidth bw = ComputeBandwidth(c.coll, c.shape.bytes, m.time_us, nranks);
    m.algbw = bw.algbw;
    m.busbw = bw.busbw;
  }
  return m;
}

template <typename F>
void ForLabel(const Report& r, const std::string& label, F f) {
  for (const Row& row : r.rows) {
    if (row.Label() == label) f(row);
  }
}

}  // namespace

Row CombineRanks(const Case& c, const std::string& impl, const std::string& variant,
                 const std::vector<RankResult>& ranks, Average how) {
  Row row;
  row.kase = c;
  row.impl = impl;
  row.variant = variant;
  row.nranks = static_cast<int>(ranks.size());
  std::vector<const RankMeasure*> oop, ip;
  for (const RankResult& r : ranks) {
    oop.push_back(&r.oop);
    ip.push_back(&r.ip);
  }
  row.oop = CombinePlacement(c, oop, how, row.nranks);
  row.ip = CombinePlacement(c, ip, how, row.nranks);
  return row;
}

int64_t TotalWrong(const Report& r, const std::string& label) {
  int64_t total = -1;
  ForLabel(r, label, [&](const Row& row) {
    for (const Measure* m : {&row.oop, &row.ip}) {
      if (m->wrong >= 0) total = (total < 0 ? 0 : total) + m->wrong;
    }
  });
  return total;
}

double AverageBusBw(const Report& r, const std::string& label) {
  double sum = 0.0;
  int n = 0;
  ForLabel(r, label, [&](const Row& row) {
    for (const Measure* m : {&row.oop, &row.ip}) {
      if (m->outcome == Outcome::kOk) {
        sum += m->busbw;
        ++n;
      }
    }
  });
  return n == 0 ? 0.0 : sum / n;
}

int CountErrors(const Report& r, const std::string& label) {
  int n = 0;
  ForLabel(r, label, [&](const Row& row) {
    n += (row.oop.outcome == Outcome::kError) + (row.ip.outcome == Outcome::kError);
  });
  return n;
}

double MeanRatio(const Report& r, const std::string& label, const std::string& other) {
  std::map<int, double> mine;
  ForLabel(r, label, [&](const Row& row) {
    if (row.oop.outcome == Outcome::kOk && row.oop.wrong <= 0) mine[row.kase.index] = row.oop.time_us;
  });
  std::vector<double> ratios;
  ForLabel(r, other, [&](const Row& row) {
    auto it = mine.find(row.kase.index);
    if (it != mine.end() && row.oop.outcome == Outcome::kOk && row.oop.wrong <= 0 && row.oop.time_us > 0.0 &&
        it->second > 0.0) {
      ratios.push_back(row.oop.time_us / it->second);
    }
  });
  return GeoMean(ratios);
}

}  // namespace chorus::bench
