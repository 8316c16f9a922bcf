#include "chorus-bench/export.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

namespace chorus::bench {
namespace {

using nlohmann::ordered_json;

ordered_json MeasureJson(const Measure& m) {
  ordered_json j;
  j["status"] = Name(m.outcome);
  if (!m.message.empty()) j["message"] = m.message;
  if (m.outcome == Outcome::kOk) {
    j["time_us"] = m.time_us;
    j["algbw_GBps"] = m.algbw;
    j["busbw_GBps"] = m.busbw;
  }
  j["wrong"] = m.wrong < 0 ? ordered_json(nullptr) : ordered_json(m.wrong);
  j["rank_times_us"] = m.rank_times_us;
  return j;
}

std::vector<std::string> Labels(const Report& r) {
  std::vector<std::string> labels;
  std::set<std::string> seen;
  for (const GroupInfo& g : r.info.groups) {
    if (seen.insert(g.Label()).second) labels.push_back(g.Label());
  }
  for (const Row& row : r.rows) {
    if (seen.insert(row.Label()).second) labels.push_back(row.Label());
  }
  return labels;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string ReportToJson(const Report& r) {
  ordered_json j;
  j["tool"] = "chorus-bench";
  j["format_version"] = 1;
  j["command"] = r.info.command;
  j["collective"] = r.info.collective;
  j["launch"] = r.info.launch;
  j["nranks"] = r.info.nranks;
  ordered_json settings = ordered_json::object();
  for (const auto& [k, v] : r.info.settings) settings[k] = v;
  j["settings"] = settings;
  ordered_json env = ordered_json::object();
  for (const auto& [k, v] : r.info.environment) env[k] = v;
  j["environment"] = env;
  j["implementations"] = ordered_json::array();
  for (const GroupInfo& g : r.info.groups) {
    j["implementations"].push_back({{"label", g.Label()},
                                    {"impl", g.impl},
                                    {"variant", g.variant},
                                    {"version", g.version},
                                    {"baseline", g.baseline},
                                    {"note", g.note}});
  }
  j["ranks"] = r.info.rank_lines;
  j["results"] = ordered_json::array();
  for (const Row& row : r.rows) {
    const Case& c = row.kase;
    ordered_json x;
    x["label"] = row.Label();
    x["impl"] = row.impl;
    x["variant"] = row.variant;
    x["collective"] = Name(c.coll);
    x["type"] = Name(c.dtype);
    x["redop"] = OpColumn(c);
    x["root"] = RootColumn(c);
    x["nranks"] = row.nranks;
    x["size"] = c.shape.bytes;
    x["count"] = c.shape.elems;
    x["call_count"] = c.shape.count;
    x["requested_bytes"] = c.requested_bytes;
    x["out_of_place"] = MeasureJson(row.oop);
    x["in_place"] = MeasureJson(row.ip);
    j["results"].push_back(x);
  }
  ordered_json summary = ordered_json::object();
  for (const std::string& label : Labels(r)) {
    const int64_t wrong = TotalWrong(r, label);
    summary[label] = {{"wrong", wrong < 0 ? ordered_json(nullptr) : ordered_json(wrong)},
                      {"avg_busbw_GBps", AverageBusBw(r, label)},
                      {"failed_measurements", CountErrors(r, label)}};
  }
  j["summary"] = summary;
  ordered_json ratios = ordered_json::object();
  for (const GroupInfo& a : r.info.groups) {
    if (a.baseline) continue;
    for (const GroupInfo& b : r.info.groups) {
      if (!b.baseline) continue;
      ratios[a.Label() + "/" + b.Label()] = MeanRatio(r, a.Label(), b.Label());
    }
  }
  j["ratios_geomean_oop"] = ratios;
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string ReportToCsv(const Report& r) {
  std::string out =
      "collective,label,impl,variant,type,redop,root,nranks,size,count,"
      "oop_status,oop_time_us,oop_algbw,oop_busbw,oop_wrong,"
      "ip_status,ip_time_us,ip_algbw,ip_busbw,ip_wrong,launch,command";
  for (const auto& kv : r.info.settings) out += "," + CsvField(kv.first);
  for (const auto& kv : r.info.environment) out += "," + CsvField(kv.first);
  out += "\n";
  for (const Row& row : r.rows) {
    const Case& c = row.kase;
    std::string line = std::string(Name(c.coll)) + "," + CsvField(row.Label()) + "," + CsvField(row.impl) + "," +
                       CsvField(row.variant) + "," + Name(c.dtype) + "," + OpColumn(c) + "," +
                       std::to_string(RootColumn(c)) + "," + std::to_string(row.nranks) + "," +
                       std::to_string(c.shape.bytes) + "," + std::to_string(c.shape.elems);
    for (const Measure* m : {&row.oop, &row.ip}) {
      const bool ok = m->outcome == Outcome::kOk;
      line += std::string(",") + Name(m->outcome) + "," + (ok ? Num(m->time_us) : "") + "," +
              (ok ? Num(m->algbw) : "") + "," + (ok ? Num(m->busbw) : "") + "," +
              (m->wrong < 0 ? "" : std::to_string(m->wrong));
    }
    line += "," + CsvField(r.info.launch) + "," + CsvField(r.info.command);
    for (const auto& kv : r.info.settings) line += "," + CsvField(kv.second);
    for (const auto& kv : r.info.environment) line += "," + CsvField(kv.second);
    out += line + "\n";
  }
  return out;
}

bool WriteTextFile(const std::string& path, const std::string& content, std::string* error) {
  if (path == "-") {
    std::fwrite(content.data(), 1, content.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    *error = "error writing " + path;
    return false;
  }
  return true;
}

}  // namespace chorus::bench
