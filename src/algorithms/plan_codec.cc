#include "algorithms/plan_codec.h"

#include <cstdio>
#include <limits>
#include <utility>

namespace chorus::sched {

namespace {

// The header keys, in the order a plan writes them.
enum HeaderKey {
  kVersionKey,
  kAlgorithmKey,
  kCollectiveKey,
  kNranksKey,
  kCountKey,
  kRootKey,
  kOpKey,
  kElemSizeKey,
  kChunkBytesKey,
  kChannelsKey,
  kInPlaceKey,
  kHasOutputKey,
  kRanksPerNodeKey,
  kReducingSwitchKey,
  kNumHeaderKeys
};
constexpr const char* kHeaderKeys[kNumHeaderKeys] = {
    "chorus-plan", "algorithm", "collective",  "nranks",   "count",    "root",
    "op",          "elem-size", "chunk-bytes", "channels", "in-place", "has-output",
    "ranks-per-node", "reducing-switch"};

constexpr int kNumOpCodes = static_cast<int>(OpCode::kSwitchReduce) + 1;

// A problem and the header key it concerns.
struct Problem {
  int key = -1;
  std::string what;
  bool ok() const { return what.empty(); }
};

std::string Range(uint64_t lo, uint64_t hi) {
  return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

// Hostile bytes must not flood a log line or put control characters in it.
std::string Quote(std::string_view s) {
  constexpr size_t kShown = 40;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kShown; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > kShown) out += "...";
  return out + "'";
}

bool ValidNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '+' || c == '-';
}

// How many elements the call's input/output may hold without the product wrapping.
bool BuffersFit(const CollArgs& a) {
  bool per_rank = a.coll == Collective::kReduceScatter || a.coll == Collective::kAllToAll ||
                  a.coll == Collective::kAllGather;
  Count limit = per_rank ? kMaxPlanElems / static_cast<Count>(a.nranks) : kMaxPlanElems;
  return a.count <= limit;
}

Problem CheckHeader(const PlanHeader& h) {
  const CollArgs& a = h.args;
  if (h.algorithm.empty() || h.algorithm.size() > kMaxPlanNameBytes) {
    return {kAlgorithmKey, "algorithm name must have 1 to " + std::to_string(kMaxPlanNameBytes) +
                               " characters"};
  }
  for (char c : h.algorithm) {
    if (!ValidNameChar(c)) {
      return {kAlgorithmKey, "algorithm name " + Quote(h.algorithm) +
                                 " has a character outside [A-Za-z0-9_.+-]"};
    }
  }
  int coll = static_cast<int>(a.coll);
  if (coll < 0 || coll >= kNumCollectives) return {kCollectiveKey, "unknown collective " + std::to_string(coll)};
  if (a.nranks < 1 || a.nranks > kMaxPlanRanks) {
    return {kNranksKey, "nranks " + std::to_string(a.nranks) + " is out of range " + Range(1, kMaxPlanRanks)};
  }
  if (!BuffersFit(a)) {
    return {kCountKey, "count " + std::to_string(a.count) + " makes a buffer larger than " +
                           std::to_string(kMaxPlanElems) + " elements with " +
                           std::to_string(a.nranks) + " ranks"};
  }
  if (a.root < 0 || a.root >= a.nranks) {
    return {kRootKey, "root " + std::to_string(a.root) + " is out of range " + Range(0, a.nranks - 1)};
  }
  if (!IsValid(a.op)) return {kOpKey, "unknown reduction op " + std::to_string(static_cast<int>(a.op))};
  if (a.elem_size < 1 || a.elem_size > kMaxPlanElemSize) {
    return {kElemSizeKey, "elem-size " + std::to_string(a.elem_size) + " is out of range " +
                              Range(1, kMaxPlanElemSize)};
  }
  if (a.chunk_bytes > kMaxPlanChunkBytes) {
    return {kChunkBytesKey, "chunk-bytes " + std::to_string(a.chunk_bytes) + " is out of range " +
                                Range(0, kMaxPlanChunkBytes)};
  }
  if (a.channels < 1 || a.channels > kMaxPlanChannels) {
    return {kChannelsKey, "channels " + std::to_string(a.channels) + " is out of range " +
                              Range(1, kMaxPlanChannels)};
  }
  if (a.ranks_per_node < 0 || a.ranks_per_node > a.nranks) {
    return {kRanksPerNodeKey, "ranks-per-node " + std::to_string(a.ranks_per_node) + " is out of range " +
                                  Range(0, a.nranks)};
  }
  return {};
}

std::string CheckRank(const RankProgram& p) {
  if (p.scratch_elems > kMaxPlanElems) {
    return "scratch " + std::to_string(p.scratch_elems) + " is out of range " + Range(0, kMaxPlanElems);
  }
  if (p.channels.size() > static_cast<size_t>(kMaxPlanChannels)) {
    return "channels " + std::to_string(p.channels.size()) + " is out of range " +
           Range(0, kMaxPlanChannels);
  }
  return "";
}

std::string CheckPeer(const char* what, Rank r, int nranks) {
  if (r == -1 || (r >= 0 && r < nranks)) return "";
  return std::string(what) + " " + std::to_string(r) + " is out of range " + Range(0, nranks - 1);
}

std::string CheckSlice(const char* what, const Slice& s) {
  int b = static_cast<int>(s.buffer);
  if (b < 0 || b >= kNumBuffers) return std::string(what) + " names unknown buffer " + std::to_string(b);
  if (s.offset > kMaxPlanElems || s.count > kMaxPlanElems - s.offset) {
    return std::string(what) + " [" + std::to_string(s.offset) + "+" + std::to_string(s.count) +
           "] ends beyond " + std::to_string(kMaxPlanElems) + " elements";
  }
  return "";
}

std::string CheckStep(const Step& s, int nranks) {
  int op = static_cast<int>(s.op);
  if (op < 0 || op >= kNumOpCodes) return "unknown opcode " + std::to_string(op);
  std::string p = CheckPeer("peer", s.peer, nranks);
  if (p.empty()) p = CheckPeer("send peer", s.send_peer, nranks);
  if (p.empty()) p = CheckSlice("src", s.src);
  if (p.empty()) p = CheckSlice("dst", s.dst);
  return p;
}

const char* BufferName(Buffer b) {
  switch (b) {
    case Buffer::kInput: return "in";
    case Buffer::kOutput: return "out";
    case Buffer::kScratch: return "scratch";
  }
  return "?";
}

bool SameSlice(const Slice& a, const Slice& b) {
  return a.buffer == b.buffer && a.offset == b.offset && a.count == b.count;
}

void AppendSlice(const char* key, const Slice& s, std::string* out) {
  *out += ' ';
  *out += key;
  *out += '=';
  *out += BufferName(s.buffer);
  *out += '[' + std::to_string(s.offset) + '+' + std::to_string(s.count) + ']';
}

// ---- Decoding ----

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !space(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Decimal, no sign, no leading zeros, at most `max`.
bool ParseNumber(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
  *out = v;
  return true;
}

class Decoder {
 public:
  explicit Decoder(std::string_view text) : text_(text) {}

  Status Run(PlanHeader* header, std::vector<RankProgram>* programs) {
    int next_key = 0;
    bool ended = false;
    size_t pos = 0;
    while (pos < text_.size()) {
      size_t nl = text_.find('\n', pos);
      std::string_view line = text_.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? text_.size() : nl + 1;
      ++line_no_;
      std::vector<std::string_view> tok = Split(line);
      if (tok.empty() || tok[0][0] == '#') continue;
      if (ended) return Error("content after 'end'");
      if (next_key < kNumHeaderKeys) {
        CHORUS_RETURN_IF_ERROR(HeaderLine(tok, next_key));
        key_line_[next_key] = line_no_;
        if (++next_key == kNumHeaderKeys) {
          Problem p = CheckHeader(header_);
          if (!p.ok()) return ErrorAt(key_line_[p.key], p.what);
        }
        continue;
      }
      if (tok[0] == "end") {
        if (tok.size() != 1) return Error("'end' takes no arguments");
        if (programs_.size() != static_cast<size_t>(header_.args.nranks)) {
          return Error("'end' after " + std::to_string(programs_.size()) + " of " +
                       std::to_string(header_.args.nranks) + " ranks");
        }
        ended = true;
        continue;
      }
      if (tok[0] != "rank") return Error("expected 'rank' or 'end', found " + Quote(tok[0]));
      if (tok.size() >= 3 && tok[2] == "channel") {
        CHORUS_RETURN_IF_ERROR(StepLine(tok));
      } else {
        CHORUS_RETURN_IF_ERROR(RankLine(tok));
      }
    }
    ++line_no_;
    if (next_key < kNumHeaderKeys) {
      return Error("the plan ends before its header is complete (missing '" +
                   std::string(kHeaderKeys[next_key]) + "')");
    }
    if (!ended) return Error("the plan is truncated (no 'end' line)");
    *header = std::move(header_);
    *programs = std::move(programs_);
    return Status::Ok();
  }

 private:
  Status Error(const std::string& what) const { return ErrorAt(line_no_, what); }
  static Status ErrorAt(size_t line, const std::string& what) {
    return InvalidArgument("plan line " + std::to_string(line) + ": " + what);
  }

  // A decimal number in [lo, hi].
  Status Number(std::string_view s, const char* what, uint64_t lo, uint64_t hi, uint64_t* out) const {
    if (ParseNumber(s, hi, out) && *out >= lo) return Status::Ok();
    bool digits = !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
    if (digits && s.size() > 1 && s[0] == '0') return Error(std::string(what) + " " + Quote(s) + " has a leading zero");
    if (digits) return Error(std::string(what) + " " + Quote(s) + " is out of range " + Range(lo, hi));
    return Error(std::string(what) + " " + Quote(s) + " is not a decimal number");
  }

  Status Bool(std::string_view s, const char* what, bool* out) const {
    if (s == "true") return *out = true, Status::Ok();
    if (s == "false") return *out = false, Status::Ok();
    return Error(std::string(what) + " " + Quote(s) + " is neither 'true' nor 'false'");
  }

  Status HeaderLine(const std::vector<std::string_view>& tok, int key) {
    const char* name = kHeaderKeys[key];
    if (tok[0] != name) {
      for (int k = 0; k < kNumHeaderKeys; ++k) {
        if (tok[0] == kHeaderKeys[k]) {
          return Error("header key " + Quote(tok[0]) + " out of order or repeated (expected '" + name + "')");
        }
      }
      if (key == kVersionKey) return Error("not a Chorus plan (expected 'chorus-plan 1')");
      return Error("expected header key '" + std::string(name) + "', found " + Quote(tok[0]));
    }
    if (tok.size() != 2) return Error("'" + std::string(name) + "' takes exactly one value");
    std::string_view v = tok[1];
    CollArgs& a = header_.args;
    uint64_t n = 0;
    switch (key) {
      case kVersionKey:
        if (v != std::to_string(kPlanVersion)) {
          return Error("unsupported plan version " + Quote(v) + " (this reader knows " +
                       std::to_string(kPlanVersion) + ")");
        }
        break;
      case kAlgorithmKey:
        if (v.size() > kMaxPlanNameBytes) return Error("algorithm name longer than " + std::to_string(kMaxPlanNameBytes) + " characters");
        header_.algorithm = std::string(v);
        break;
      case kCollectiveKey:
        if (v.size() > 32 || !ParseCollective(std::string(v).c_str(), &a.coll)) {
          return Error("unknown collective " + Quote(v));
        }
        break;
      case kNranksKey:
        CHORUS_RETURN_IF_ERROR(Number(v, "nranks", 1, kMaxPlanRanks, &n));
        a.nranks = static_cast<int>(n);
        break;
      case kCountKey:
        CHORUS_RETURN_IF_ERROR(Number(v, "count", 0, kMaxPlanElems, &n));
        a.count = n;
        break;
      case kRootKey:
        CHORUS_RETURN_IF_ERROR(Number(v, "root", 0, kMaxPlanRanks - 1, &n));
        a.root = static_cast<Rank>(n);
        break;
      case kOpKey:
        if (v.size() > 32 || !ParseReduceOp(std::string(v).c_str(), &a.op)) {
          return Error("unknown reduction op " + Quote(v));
        }
        break;
      case kElemSizeKey:
        CHORUS_RETURN_IF_ERROR(Number(v, "elem-size", 1, kMaxPlanElemSize, &n));
        a.elem_size = n;
        break;
      case kChunkBytesKey:
        CHORUS_RETURN_IF_ERROR(Number(v, "chunk-bytes", 0, kMaxPlanChunkBytes, &n));
        a.chunk_bytes = n;
        break;
      case kChannelsKey:
        CHORUS_RETURN_IF_ERROR(Number(v, "channels", 1, kMaxPlanChannels, &n));
        a.channels = static_cast<int>(n);
        break;
      case kInPlaceKey: CHORUS_RETURN_IF_ERROR(Bool(v, "in-place", &a.in_place)); break;
      case kHasOutputKey: CHORUS_RETURN_IF_ERROR(Bool(v, "has-output", &a.has_output)); break;
      case kRanksPerNodeKey:
        CHORUS_RETURN_IF_ERROR(Number(v, "ranks-per-node", 0, kMaxPlanRanks, &n));
        a.ranks_per_node = static_cast<int>(n);
        break;
      case kReducingSwitchKey:
        CHORUS_RETURN_IF_ERROR(Bool(v, "reducing-switch", &a.has_reducing_switch));
        break;
      default: break;
    }
    return Status::Ok();
  }

  // "rank R scratch=S channels=C"
  Status RankLine(const std::vector<std::string_view>& tok) {
    const int nranks = header_.args.nranks;
    if (tok.size() != 4 || tok[2].substr(0, 8) != "scratch=" || tok[3].substr(0, 9) != "channels=") {
      return Error("expected 'rank R scratch=S channels=C' or 'rank R channel C: OP ...'");
    }
    uint64_t r = 0, scratch = 0, channels = 0;
    CHORUS_RETURN_IF_ERROR(Number(tok[1], "rank", 0, kMaxPlanRanks - 1, &r));
    if (programs_.size() == static_cast<size_t>(nranks)) {
      return Error("rank " + std::to_string(r) + " is beyond nranks " + std::to_string(nranks));
    }
    if (r != programs_.size()) {
      return Error("rank " + std::to_string(r) + " out of order (expected rank " +
                   std::to_string(programs_.size()) + ")");
    }
    CHORUS_RETURN_IF_ERROR(Number(tok[2].substr(8), "scratch", 0, kMaxPlanElems, &scratch));
    CHORUS_RETURN_IF_ERROR(Number(tok[3].substr(9), "channels", 0, kMaxPlanChannels, &channels));
    total_channels_ += channels;
    if (total_channels_ > kMaxPlanTotalChannels) {
      return Error("more than " + std::to_string(kMaxPlanTotalChannels) + " channels in all");
    }
    RankProgram p;
    p.rank = static_cast<Rank>(r);
    p.nranks = nranks;
    p.scratch_elems = scratch;
    p.channels.resize(channels);
    programs_.push_back(std::move(p));
    return Status::Ok();
  }

  Status SliceField(std::string_view v, const char* what, Slice* out) const {
    // BUF[OFFSET+COUNT]
    size_t open = v.find('[');
    size_t plus = v.find('+');
    if (open == std::string_view::npos || plus == std::string_view::npos || plus < open ||
        v.back() != ']') {
      return Error(std::string(what) + " " + Quote(v) + " is not BUF[OFFSET+COUNT]");
    }
    std::string_view buf = v.substr(0, open);
    if (buf == "in") {
      out->buffer = Buffer::kInput;
    } else if (buf == "out") {
      out->buffer = Buffer::kOutput;
    } else if (buf == "scratch") {
      out->buffer = Buffer::kScratch;
    } else {
      return Error(std::string(what) + " names unknown buffer " + Quote(buf) + " (in, out or scratch)");
    }
    uint64_t off = 0, count = 0;
    CHORUS_RETURN_IF_ERROR(Number(v.substr(open + 1, plus - open - 1), "offset", 0, kMaxPlanElems, &off));
    CHORUS_RETURN_IF_ERROR(Number(v.substr(plus + 1, v.size() - plus - 2), "count", 0, kMaxPlanElems, &count));
    out->offset = off;
    out->count = count;
    return Status::Ok();
  }

  // "rank R channel C: OP [peer=P] [->S] [src=SLICE] [dst=SLICE] [flag=F] [final]"
  Status StepLine(const std::vector<std::string_view>& tok) {
    if (tok.size() < 5 || tok[3].size() < 2 || tok[3].back() != ':') {
      return Error("expected 'rank R channel C: OP ...'");
    }
    if (programs_.empty()) return Error("step before the first rank line");
    RankProgram& p = programs_.back();
    uint64_t r = 0, c = 0;
    CHORUS_RETURN_IF_ERROR(Number(tok[1], "rank", 0, kMaxPlanRanks - 1, &r));
    if (r != static_cast<uint64_t>(p.rank)) {
      return Error("step of rank " + std::to_string(r) + " inside rank " + std::to_string(p.rank) + "'s program");
    }
    CHORUS_RETURN_IF_ERROR(Number(tok[3].substr(0, tok[3].size() - 1), "channel", 0, kMaxPlanChannels - 1, &c));
    if (c >= p.channels.size()) {
      return Error("channel " + std::to_string(c) + " but rank " + std::to_string(p.rank) + " has " +
                   std::to_string(p.channels.size()) + " channel(s)");
    }
    if (++total_steps_ > kMaxPlanSteps) return Error("more than " + std::to_string(kMaxPlanSteps) + " steps");
    Step s;
    int op = 0;
    for (; op < kNumOpCodes; ++op) {
      if (tok[4] == Name(static_cast<OpCode>(op))) break;
    }
    if (op == kNumOpCodes) return Error("unknown opcode " + Quote(tok[4]));
    s.op = static_cast<OpCode>(op);
    static constexpr const char* kFieldOrder = "(order: peer= -> src= dst= flag= final)";
    int last = -1;
    for (size_t i = 5; i < tok.size(); ++i) {
      std::string_view t = tok[i];
      int field;
      if (t.substr(0, 5) == "peer=") field = 0;
      else if (t.substr(0, 2) == "->") field = 1;
      else if (t.substr(0, 4) == "src=") field = 2;
      else if (t.substr(0, 4) == "dst=") field = 3;
      else if (t.substr(0, 5) == "flag=") field = 4;
      else if (t == "final") field = 5;
      else return Error("unknown step field " + Quote(t));
      if (field <= last) return Error("step field " + Quote(t) + " repeated or out of order " + kFieldOrder);
      last = field;
      uint64_t n = 0;
      switch (field) {
        case 0:
          CHORUS_RETURN_IF_ERROR(Number(t.substr(5), "peer", 0, kMaxPlanRanks - 1, &n));
          s.peer = static_cast<Rank>(n);
          break;
        case 1:
          CHORUS_RETURN_IF_ERROR(Number(t.substr(2), "send peer", 0, kMaxPlanRanks - 1, &n));
          s.send_peer = static_cast<Rank>(n);
          break;
        case 2: CHORUS_RETURN_IF_ERROR(SliceField(t.substr(4), "src", &s.src)); break;
        case 3: CHORUS_RETURN_IF_ERROR(SliceField(t.substr(4), "dst", &s.dst)); break;
        case 4:
          CHORUS_RETURN_IF_ERROR(Number(t.substr(5), "flag", 0, std::numeric_limits<uint32_t>::max(), &n));
          s.flag = static_cast<uint32_t>(n);
          break;
        default: s.finalize = true; break;
      }
    }
    std::string problem = CheckStep(s, header_.args.nranks);
    if (!problem.empty()) return Error(problem);
    p.channels[c].steps.push_back(s);
    return Status::Ok();
  }

  std::string_view text_;
  size_t line_no_ = 0;
  size_t key_line_[kNumHeaderKeys] = {};
  size_t total_channels_ = 0;
  size_t total_steps_ = 0;
  PlanHeader header_;
  std::vector<RankProgram> programs_;
};

}  // namespace

Status EncodePlan(const std::vector<RankProgram>& programs, const PlanHeader& header, std::string* out) {
  Problem hp = CheckHeader(header);
  if (!hp.ok()) return InvalidArgument("plan: " + hp.what);
  const CollArgs& a = header.args;
  if (programs.size() != static_cast<size_t>(a.nranks)) {
    return InvalidArgument("plan: " + std::to_string(programs.size()) + " programs for " +
                           std::to_string(a.nranks) + " ranks");
  }
  std::string t;
  t += "chorus-plan " + std::to_string(kPlanVersion) + "\n";
  t += "algorithm " + header.algorithm + "\n";
  t += std::string("collective ") + Name(a.coll) + "\n";
  t += "nranks " + std::to_string(a.nranks) + "\n";
  t += "count " + std::to_string(a.count) + "\n";
  t += "root " + std::to_string(a.root) + "\n";
  t += std::string("op ") + Name(a.op) + "\n";
  t += "elem-size " + std::to_string(a.elem_size) + "\n";
  t += "chunk-bytes " + std::to_string(a.chunk_bytes) + "\n";
  t += "channels " + std::to_string(a.channels) + "\n";
  t += std::string("in-place ") + (a.in_place ? "true" : "false") + "\n";
  t += std::string("has-output ") + (a.has_output ? "true" : "false") + "\n";
  t += "ranks-per-node " + std::to_string(a.ranks_per_node) + "\n";
  t += std::string("reducing-switch ") + (a.has_reducing_switch ? "true" : "false") + "\n";
  size_t total_channels = 0, total_steps = 0;
  for (size_t r = 0; r < programs.size(); ++r) {
    const RankProgram& p = programs[r];
    std::string where = "plan: rank " + std::to_string(r) + ": ";
    if (p.rank != static_cast<Rank>(r) || p.nranks != a.nranks) {
      return InvalidArgument(where + "program is for rank " + std::to_string(p.rank) + " of " +
                             std::to_string(p.nranks));
    }
    std::string problem = CheckRank(p);
    if (!problem.empty()) return InvalidArgument(where + problem);
    total_channels += p.channels.size();
    if (total_channels > kMaxPlanTotalChannels) {
      return InvalidArgument("plan: more than " + std::to_string(kMaxPlanTotalChannels) + " channels in all");
    }
    t += "rank " + std::to_string(r) + " scratch=" + std::to_string(p.scratch_elems) +
         " channels=" + std::to_string(p.channels.size()) + "\n";
    for (size_t c = 0; c < p.channels.size(); ++c) {
      const std::string prefix = "rank " + std::to_string(r) + " channel " + std::to_string(c) + ": ";
      for (size_t i = 0; i < p.channels[c].steps.size(); ++i) {
        const Step& s = p.channels[c].steps[i];
        problem = CheckStep(s, a.nranks);
        if (!problem.empty()) {
          return InvalidArgument(where + "channel " + std::to_string(c) + " step " + std::to_string(i) +
                                 ": " + problem);
        }
        if (++total_steps > kMaxPlanSteps) {
          return InvalidArgument("plan: more than " + std::to_string(kMaxPlanSteps) + " steps");
        }
        t += prefix;
        t += Name(s.op);
        if (s.peer >= 0) t += " peer=" + std::to_string(s.peer);
        if (s.send_peer >= 0) t += " ->" + std::to_string(s.send_peer);
        if (!SameSlice(s.src, Slice{})) AppendSlice("src", s.src, &t);
        if (!SameSlice(s.dst, Slice{})) AppendSlice("dst", s.dst, &t);
        if (s.flag != 0) t += " flag=" + std::to_string(s.flag);
        if (s.finalize) t += " final";
        t += '\n';
      }
    }
  }
  t += "end\n";
  *out = std::move(t);
  return Status::Ok();
}

Status DecodePlan(std::string_view text, PlanHeader* header, std::vector<RankProgram>* programs) {
  Decoder d(text);
  return d.Run(header, programs);
}

}  // namespace chorus::sched
