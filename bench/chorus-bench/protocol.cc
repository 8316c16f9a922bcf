#include "chorus-bench/protocol.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace chorus::bench {
namespace {

using nlohmann::json;

json MeasureJson(const RankMeasure& m) {
  return json{{"outcome", static_cast<int>(m.outcome)},
              {"message", m.message},
              {"time_us", m.time_us},
              {"wrong", m.wrong}};
}

bool MeasureFrom(const json& j, RankMeasure* m) {
  if (!j.is_object()) return false;
  const int o = j.value("outcome", -1);
  if (o < 0 || o > 2) return false;
  m->outcome = static_cast<Outcome>(o);
  m->message = j.value("message", std::string());
  m->time_us = j.value("time_us", 0.0);
  m->wrong = j.value("wrong", int64_t{-1});
  return true;
}

// nlohmann throws on malformed text; the protocol reports it as a value instead.
bool Parse(const std::string& line, json* out, std::string* error) {
  *out = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object()) {
    *error = "malformed line from worker: " + line.substr(0, 200);
    return false;
  }
  return true;
}

}  // namespace

std::string EncodeReady(const ReadyInfo& r) {
  return json{{"ready", true},    {"rank", r.rank},       {"nranks", r.nranks}, {"pid", r.pid},
              {"host", r.host},   {"version", r.version}, {"error", r.error}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

bool DecodeReady(const std::string& line, ReadyInfo* out, std::string* error) try {
  json j;
  if (!Parse(line, &j, error)) return false;
  if (!j.value("ready", false)) {
    *error = "expected a ready line, got: " + line.substr(0, 200);
    return false;
  }
  out->rank = j.value("rank", -1);
  out->nranks = j.value("nranks", 0);
  out->pid = j.value("pid", 0);
  out->host = j.value("host", std::string());
  out->version = j.value("version", std::string());
  out->error = j.value("error", std::string());
  return true;
} catch (const std::exception& e) {  // a field of the wrong type
  *error = std::string("bad ready line: ") + e.what();
  return false;
}

std::string EncodeResult(const RankResult& r) {
  return json{{"case", r.case_index}, {"rank", r.rank}, {"oop", MeasureJson(r.oop)}, {"ip", MeasureJson(r.ip)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

bool DecodeResult(const std::string& line, RankResult* out, std::string* error) try {
  json j;
  if (!Parse(line, &j, error)) return false;
  if (!j.contains("case") || !j.contains("oop") || !j.contains("ip")) {
    *error = "expected a result line, got: " + line.substr(0, 200);
    return false;
  }
  out->case_index = j.value("case", -1);
  out->rank = j.value("rank", -1);
  if (!MeasureFrom(j["oop"], &out->oop) || !MeasureFrom(j["ip"], &out->ip)) {
    *error = "malformed measurement in: " + line.substr(0, 200);
    return false;
  }
  return true;
} catch (const std::exception& e) {
  *error = std::string("bad result line: ") + e.what();
  return false;
}

std::string EncodeUid(const std::string& hex) { return json{{"uid", hex}}.dump(); }

bool DecodeUid(const std::string& line, std::string* hex, std::string* error) {
  json j;
  if (!Parse(line, &j, error)) return false;
  auto it = j.find("uid");
  if (it == j.end() || !it->is_string()) {
    *error = "expected a unique id line, got: " + line.substr(0, 200);
    return false;
  }
  *hex = it->get<std::string>();
  return true;
}

std::string UidCommand(const std::string& hex) { return "uid " + hex; }

bool ParseUidCommand(const std::string& line, std::string* hex) {
  if (line.rfind("uid ", 0) != 0) return false;
  *hex = line.substr(4);
  return !hex->empty();
}

std::string CaseCommand(int index) { return "case " + std::to_string(index); }

int ParseCommand(const std::string& line) {
  if (line == kQuitCommand) return -1;
  if (line.rfind("case ", 0) != 0) return -2;
  const char* digits = line.c_str() + 5;
  char* end = nullptr;
  const long v = std::strtol(digits, &end, 10);
  if (end == digits || *end != '\0' || v < 0 || v > 100000000) return -2;
  return static_cast<int>(v);
}

std::string CommandPipe(const std::string& dir, const std::string& group, int rank) {
  return dir + "/" + group + ".cmd." + std::to_string(rank);
}

std::string ResultPipe(const std::string& dir, const std::string& group, int rank) {
  return dir + "/" + group + ".out." + std::to_string(rank);
}

}  // namespace chorus::bench
