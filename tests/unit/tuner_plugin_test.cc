// Tuner plugins (src/tune/plugin.h): the loading rules (only the named path), validation and
// fallback to the model, the example plugin's overrides, CHORUS_ALGO's precedence, and
// all-reduces run with a plugin loaded.
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/registry.h"
#include "api/handle.h"
#include "chorus/chorus.h"
#include "core/log.h"
#include "support/test_support.h"
#include "tune/link_model.h"
#include "tune/plugin.h"
#include "tune/tuner.h"
#include "support/sched_args.h"

namespace chorus::tune {
namespace {

using chorus::testing::ScopedEnv;

using sched::CollArgs;

const std::string kExample = CHORUS_TUNER_EXAMPLE_PATH;

std::string Fixture(const char* kind) {
  return std::string(CHORUS_TUNER_FIXTURE_DIR) + "/libchorus-tuner-fixture-" + kind + ".so";
}

std::string DirOf(const std::string& path) { return path.substr(0, path.rfind('/')); }
std::string BaseOf(const std::string& path) { return path.substr(path.rfind('/') + 1); }


class ScopedCwd {
 public:
  explicit ScopedCwd(const std::string& dir) {
    char buf[PATH_MAX];
    if (getcwd(buf, sizeof(buf)) != nullptr) old_ = buf;
    ok_ = chdir(dir.c_str()) == 0;
  }
  ~ScopedCwd() {
    if (!old_.empty() && chdir(old_.c_str()) != 0) perror("chdir back");
  }
  bool ok() const { return ok_; }

 private:
  std::string old_;
  bool ok_ = false;
};

CollArgs Args(Collective coll, int n, Count count, int channels = 4) {
  return chorus::testing::SchedArgs(coll, n, count, channels);
}

Choice ModelChoice(const CollArgs& a) {
  Choice c;
  Status st = Choose(a, DefaultHostModel(), AlgoOverride(), &c);
  EXPECT_TRUE(st.ok()) << st.message();
  return c;
}

// A Tuner built under CHORUS_TUNER_PLUGIN=plugin and CHORUS_TUNER_EXAMPLE_TABLE=table.
std::unique_ptr<Tuner> MakeTuner(const char* plugin, const char* table = nullptr) {
  ScopedEnv p("CHORUS_TUNER_PLUGIN", plugin);
  ScopedEnv t("CHORUS_TUNER_EXAMPLE_TABLE", table);
  return std::make_unique<Tuner>(DefaultHostModel());
}

// Warnings go to stderr unless the run redirected or silenced them.
bool CanSeeWarnings() {
  return LogEnabled(LogLevel::kWarn, LogSubsys::kTune) && getenv("CHORUS_DEBUG_FILE") == nullptr;
}

std::string Stderr(const std::function<void()>& fn) {
  ::testing::internal::CaptureStderr();
  fn();
  return ::testing::internal::GetCapturedStderr();
}

// An applicable algorithm for `a` other than `not_this`.
std::string OtherAlgorithm(const CollArgs& a, const sched::Algorithm* not_this) {
  for (const sched::Algorithm* algo : sched::ApplicableAlgorithms(a))
    if (algo != not_this) return algo->name;
  return "";
}

class TunerPluginTest : public ::testing::Test {
 protected:
  ScopedEnv algo_{"CHORUS_ALGO", nullptr};
  ScopedEnv plugin_{"CHORUS_TUNER_PLUGIN", nullptr};
  ScopedEnv table_{"CHORUS_TUNER_EXAMPLE_TABLE", nullptr};
};

TEST_F(TunerPluginTest, LoadsTheExampleByAbsoluteAndRelativePath) {
  std::unique_ptr<TunerPlugin> p;
  Status st = TunerPlugin::Load(kExample, &p);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(p->name(), "example");
  EXPECT_EQ(p->version(), 1);
  EXPECT_EQ(p->path(), kExample);

  ScopedCwd cwd(DirOf(kExample));
  ASSERT_TRUE(cwd.ok());
  std::unique_ptr<TunerPlugin> q;
  st = TunerPlugin::Load("./" + BaseOf(kExample), &q);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(q->name(), "example");
}

TEST_F(TunerPluginTest, RefusesWhatIsNotANamedPluginFile) {
  std::unique_ptr<TunerPlugin> p;
  // A bare name is refused even where a file of that name sits in the working directory.
  {
    ScopedCwd cwd(DirOf(kExample));
    ASSERT_TRUE(cwd.ok());
    Status st = TunerPlugin::Load(BaseOf(kExample), &p);
    EXPECT_EQ(st.code(), chorusInvalidArgument);
    EXPECT_NE(st.message().find("is a bare name"), std::string::npos) << st.message();
    EXPECT_EQ(p, nullptr);
  }
  struct Case {
    std::string path, expect;
  };
  const std::string text_file = ::testing::TempDir() + "/chorus_not_a_plugin.so";
  FILE* f = fopen(text_file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("not an ELF file\n", f);
  fclose(f);
  const Case cases[] = {
      {"", "empty path"},
      {"/nonexistent/chorus/libnothing.so", "cannot open"},
      {CHORUS_TUNER_FIXTURE_DIR, "is not a regular file"},
      {text_file, "cannot load"},
      {Fixture("no-symbol"), "exports no tuner plugin (looked for chorusTunerPlugin_v1"},
      {Fixture("null-pointers"), "chorusTunerPlugin_v1 leaves NULL: getCollInfo, destroy"},
  };
  for (const Case& c : cases) {
    Status st = TunerPlugin::Load(c.path, &p);
    EXPECT_EQ(st.code(), chorusInvalidArgument) << c.path;
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << c.path << ": " << st.message();
    EXPECT_EQ(p, nullptr) << c.path;
  }
  unlink(text_file.c_str());
}

TEST_F(TunerPluginTest, MalformedExampleTableFailsInit) {
  const char* bad[] = {"allreduce", "allreduce:0-:", "allfoo:0-:ring", "allreduce:5-5:ring",
                       "allreduce:x-:ring", "allreduce:0-:ring@0"};
  for (const char* table : bad) {
    ScopedEnv t("CHORUS_TUNER_EXAMPLE_TABLE", table);
    std::unique_ptr<TunerPlugin> p;
    Status st = TunerPlugin::Load(kExample, &p);
    EXPECT_FALSE(st.ok()) << table;
    EXPECT_NE(st.message().find("'example' init failed: invalid argument"), std::string::npos)
        << table << ": " << st.message();
  }
}

// Every way a plugin can fail to load: a warning, no plugin, and the model's choices.
TEST_F(TunerPluginTest, BrokenPluginWarnsAndTheModelChooses) {
  const std::string bare = BaseOf(kExample);
  struct Case {
    std::string path;
    const char* table;
    std::string expect;
  };
  const Case cases[] = {
      {bare, nullptr, "is a bare name"},
      {"/nonexistent/chorus/libnothing.so", nullptr, "cannot open"},
      {Fixture("no-symbol"), nullptr, "exports no tuner plugin"},
      {Fixture("null-pointers"), nullptr, "leaves NULL"},
      {kExample, "allreduce:0-:", "init failed"},
  };
  const CollArgs a = Args(Collective::kAllReduce, 3, 1 << 18);
  const Choice model = ModelChoice(a);
  for (const Case& c : cases) {
    std::unique_ptr<Tuner> t;
    std::string log = Stderr([&] { t = MakeTuner(c.path.c_str(), c.table); });
    EXPECT_EQ(t->plugin(), nullptr) << c.path;
    if (CanSeeWarnings()) {
      EXPECT_NE(log.find("WARN TUNE CHORUS_TUNER_PLUGIN: tuner plugin"), std::string::npos) << log;
      EXPECT_NE(log.find(c.expect), std::string::npos) << c.path << ": " << log;
      EXPECT_NE(log.find("continuing without it"), std::string::npos) << log;
    }
    Choice got;
    ASSERT_TRUE(t->Choose(a, &got).ok());
    EXPECT_EQ(got.algorithm, model.algorithm) << c.path;
    EXPECT_EQ(got.args.channels, model.args.channels) << c.path;
    EXPECT_EQ(got.plugin, "") << c.path;
  }
}

TEST_F(TunerPluginTest, ExampleForcesItsTableAndLeavesOtherCallsAlone) {
  const CollArgs small = Args(Collective::kAllReduce, 3, 256);       // 1 KiB
  const CollArgs large = Args(Collective::kAllReduce, 3, 4 << 20);   // 16 MiB
  const Choice model_small = ModelChoice(small), model_large = ModelChoice(large);
  const std::string want_small = OtherAlgorithm(small, model_small.algorithm);
  const std::string want_large = OtherAlgorithm(large, model_large.algorithm);
  ASSERT_FALSE(want_small.empty());
  ASSERT_FALSE(want_large.empty());
  const std::string table = "allreduce:0-64K:" + want_small + ", allreduce:64K-:" + want_large;
  auto t = MakeTuner(kExample.c_str(), table.c_str());
  ASSERT_NE(t->plugin(), nullptr);
  EXPECT_EQ(t->plugin()->name(), "example");

  Choice c;
  ASSERT_TRUE(t->Choose(small, &c).ok());
  EXPECT_EQ(c.algorithm->name, want_small) << "model: " << model_small.algorithm->name;
  EXPECT_EQ(c.plugin, "example");
  EXPECT_FALSE(c.forced);
  EXPECT_GT(c.est_seconds, 0);
  EXPECT_TRUE(c.algorithm->applies(c.args));
  ASSERT_TRUE(t->Choose(large, &c).ok());
  EXPECT_EQ(c.algorithm->name, want_large) << "model: " << model_large.algorithm->name;
  // The model's pick is now the runner-up.
  EXPECT_EQ(c.runner_up, model_large.algorithm->name);

  // No rule for broadcast: the plugin is consulted and the model's pick stands, exactly.
  const CollArgs bcast = Args(Collective::kBroadcast, 3, 1 << 16);
  const Choice model_bcast = ModelChoice(bcast);
  ASSERT_TRUE(t->Choose(bcast, &c).ok());
  EXPECT_EQ(c.algorithm, model_bcast.algorithm);
  EXPECT_EQ(c.args.channels, model_bcast.args.channels);
  EXPECT_EQ(c.args.chunk_bytes, model_bcast.args.chunk_bytes);
  EXPECT_EQ(c.est_seconds, model_bcast.est_seconds);
  EXPECT_EQ(c.plugin, "example");
}

TEST_F(TunerPluginTest, ExampleChoosesChannelsIncludingOnesTheModelDidNotPrice) {
  // 16 MiB: every channel count is priced; the rule asks for 2.
  auto t = MakeTuner(kExample.c_str(), "allreduce:0-:ring@2");
  Choice c;
  ASSERT_TRUE(t->Choose(Args(Collective::kAllReduce, 4, 4 << 20), &c).ok());
  EXPECT_STREQ(c.algorithm->name, "ring");
  EXPECT_EQ(c.args.channels, 2);

  // 128 KiB on 4 channels is 32 KiB each, which the model does not price; the plugin asks for it
  // and the tuner prices and runs it.
  auto t4 = MakeTuner(kExample.c_str(), "allreduce:0-:ring@4");
  const CollArgs a = Args(Collective::kAllReduce, 4, 32 << 10);
  ASSERT_NE(ModelChoice(a).args.channels, 4);
  ASSERT_TRUE(t4->Choose(a, &c).ok());
  EXPECT_STREQ(c.algorithm->name, "ring");
  EXPECT_EQ(c.args.channels, 4);
  EXPECT_EQ(c.args.chunk_bytes, 0u);
  EXPECT_GT(c.est_seconds, 0);

  // A channel count the caller cannot run is not on offer: the model decides.
  const CollArgs one = Args(Collective::kAllReduce, 4, 4 << 20, /*channels=*/1);
  ASSERT_TRUE(t4->Choose(one, &c).ok());
  EXPECT_EQ(c.algorithm, ModelChoice(one).algorithm);
  EXPECT_EQ(c.args.channels, 1);
}

TEST_F(TunerPluginTest, ExampleRuleForAnAlgorithmThatCannotRunLeavesTheModelsChoice) {
  auto t = MakeTuner(kExample.c_str(), "allreduce:0-:pairwise");  // pairwise has no all-reduce
  const CollArgs a = Args(Collective::kAllReduce, 3, 1 << 16);
  Choice c;
  ASSERT_TRUE(t->Choose(a, &c).ok());
  EXPECT_EQ(c.algorithm, ModelChoice(a).algorithm);
}

TEST_F(TunerPluginTest, ChorusAlgoBeatsThePlugin) {
  ScopedEnv algo("CHORUS_ALGO", "allreduce=one_shot");
  auto t = MakeTuner(kExample.c_str(), "allreduce:0-:ring,allgather:0-:bruck");
  Choice c;
  ASSERT_TRUE(t->Choose(Args(Collective::kAllReduce, 4, 1 << 20), &c).ok());
  EXPECT_STREQ(c.algorithm->name, "one_shot");
  EXPECT_TRUE(c.forced);
  EXPECT_EQ(c.plugin, "");  // not consulted
  // CHORUS_ALGO names only all-reduce: the plugin still decides all-gather.
  ASSERT_TRUE(t->Choose(Args(Collective::kAllGather, 4, 1 << 20), &c).ok());
  EXPECT_STREQ(c.algorithm->name, "bruck");
  EXPECT_FALSE(c.forced);
  EXPECT_EQ(c.plugin, "example");
}

TEST_F(TunerPluginTest, FailingOrAllDisablingPluginFallsBackPerCall) {
  struct Case {
    const char* kind;
    std::string expect;
  };
  const Case cases[] = {
      {"failing-call", "tuner plugin 'failing-call': getCollInfo failed: internal error"},
      {"disable-all", "tuner plugin 'disable-all' disabled every candidate"},
  };
  const CollArgs a = Args(Collective::kAllReduce, 5, 1 << 18);
  const Choice model = ModelChoice(a);
  for (const Case& k : cases) {
    auto t = MakeTuner(Fixture(k.kind).c_str());
    ASSERT_NE(t->plugin(), nullptr) << k.kind;
    Choice c;
    std::string log = Stderr([&] { ASSERT_TRUE(t->Choose(a, &c).ok()); });
    EXPECT_EQ(c.algorithm, model.algorithm) << k.kind;
    EXPECT_EQ(c.args.channels, model.args.channels) << k.kind;
    EXPECT_EQ(c.plugin, "") << k.kind;
    if (CanSeeWarnings()) {
      EXPECT_NE(log.find(k.expect), std::string::npos) << log;
      EXPECT_NE(log.find("using the model's choice"), std::string::npos) << log;
    }
  }
}

// The recorder plugin counts init/destroy/getCollInfo and keeps the last call's arguments; this
// test holds its own reference to the library so the counters outlive the tuners.
TEST_F(TunerPluginTest, ArgumentsCachingAndTeardown) {
  const std::string path = Fixture("recorder");
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  using RecordFn = const char* (*)(int*, int*, int*);
  auto record = reinterpret_cast<RecordFn>(dlsym(lib, "chorusTunerFixtureRecord"));
  ASSERT_NE(record, nullptr);
  int inits = 0, destroys = 0, calls = 0;

  const CollArgs a = Args(Collective::kAllReduce, 3, 1 << 18);  // 1 MiB
  const Choice model = ModelChoice(a);
  {
    auto t = MakeTuner(path.c_str());
    auto u = MakeTuner(path.c_str());
    ASSERT_NE(t->plugin(), nullptr);
    record(&inits, &destroys, &calls);
    EXPECT_EQ(inits, 2);
    EXPECT_EQ(destroys, 0);
    Choice c;
    ASSERT_TRUE(t->Choose(a, &c).ok());
    ASSERT_TRUE(t->Choose(a, &c).ok());  // cached: no second call
    std::string last = record(&inits, &destroys, &calls);
    EXPECT_EQ(calls, 1);
    std::string algos;
    for (const sched::Algorithm* algo : sched::ApplicableAlgorithms(a))
      algos += (algos.empty() ? "" : ",") + std::string(algo->name);
    EXPECT_NE(last.find("coll=0 bytes=1048576 elem=4 op=0 nranks=3 rpn=0 finite="), std::string::npos) << last;
    EXPECT_NE(last.find(" algos=" + algos + " channels=1,2,4"), std::string::npos) << last;
    EXPECT_EQ(last.find("finite=0 "), std::string::npos) << last;
    // The table came back untouched: the model's choice, exactly.
    EXPECT_EQ(c.algorithm, model.algorithm);
    EXPECT_EQ(c.args.channels, model.args.channels);
    EXPECT_EQ(c.args.chunk_bytes, model.args.chunk_bytes);
    EXPECT_EQ(c.est_seconds, model.est_seconds);
    EXPECT_EQ(c.plugin, "recorder");

    ASSERT_TRUE(t->Choose(Args(Collective::kReduceScatter, 3, 100), &c).ok());
    last = record(&inits, &destroys, &calls);
    EXPECT_EQ(calls, 2);
    EXPECT_NE(last.find("coll=2 bytes=1200 "), std::string::npos) << last;  // the full input
  }
  record(&inits, &destroys, &calls);
  EXPECT_EQ(destroys, 2);
  dlclose(lib);
}

// Real ranks: the example forces its algorithms inside chorusAllReduce, results are exact, and
// (recorder) every communicator consults the plugin and destroys its context at teardown.
std::string AllReduceBody(int rank, int nranks, const chorusUniqueId& id, const std::vector<size_t>& counts) {
  chorusComm_t comm = nullptr;
  if (chorusCommInitRank(&comm, nranks, id, rank, nullptr) != chorusSuccess) return "init failed";
  std::string err;
  for (size_t count : counts) {
    std::vector<float> in(count), out(count, -1.0f);
    for (size_t i = 0; i < count; ++i) in[i] = static_cast<float>(rank * 1000 + static_cast<int>(i % 97));
    if (chorusAllReduce(in.data(), out.data(), count, chorusFloat32, chorusSum, comm, nullptr) != chorusSuccess) {
      err = std::string("all-reduce failed: ") + chorusGetLastError(comm);
      break;
    }
    for (size_t i = 0; i < count && err.empty(); ++i) {
      float want = 0;
      for (int r = 0; r < nranks; ++r) want += static_cast<float>(r * 1000 + static_cast<int>(i % 97));
      if (out[i] != want) {
        err = "count " + std::to_string(count) + " element " + std::to_string(i) + ": got " +
              std::to_string(out[i]) + ", want " + std::to_string(want);
      }
    }
    if (!err.empty()) break;
  }
  if (chorusCommDestroy(comm) != chorusSuccess && err.empty()) err = "destroy failed";
  return err;
}

TEST_F(TunerPluginTest, AllReduceWithTheExampleLoadedIsCorrect) {
  const int n = 3;
  const std::vector<size_t> counts = {1, 1000, 300000};
  const char* table = "allreduce:0-64K:recursive_doubling,allreduce:64K-:rabenseifner";
  // What the communicators' tuners will pick (they run 1 channel on the host model).
  auto t = MakeTuner(kExample.c_str(), table);
  ASSERT_NE(t->plugin(), nullptr);
  bool differs = false;
  for (size_t count : counts) {
    CollArgs a = Args(Collective::kAllReduce, n, count, 1);
    Choice c;
    ASSERT_TRUE(t->Choose(a, &c).ok());
    EXPECT_STREQ(c.algorithm->name, count * 4 < (64 << 10) ? "recursive_doubling" : "rabenseifner");
    differs = differs || ModelChoice(a).algorithm != c.algorithm;
  }
  EXPECT_TRUE(differs) << "the table repeats the model's own choices; pick other algorithms";

  ScopedEnv p("CHORUS_TUNER_PLUGIN", kExample.c_str());
  ScopedEnv tb("CHORUS_TUNER_EXAMPLE_TABLE", table);
  for (auto mode : {testing::RankMode::kThreads, testing::RankMode::kProcesses}) {
    std::string err = testing::RunRanks(n, mode, [&](int rank, int nranks, const chorusUniqueId& id) {
      return AllReduceBody(rank, nranks, id, counts);
    });
    EXPECT_EQ(err, "") << testing::Name(mode);
  }
}

TEST_F(TunerPluginTest, CommunicatorsConsultThePluginAndDestroyItsContexts) {
  const std::string path = Fixture("recorder");
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  using RecordFn = const char* (*)(int*, int*, int*);
  auto record = reinterpret_cast<RecordFn>(dlsym(lib, "chorusTunerFixtureRecord"));
  ASSERT_NE(record, nullptr);
  int inits0 = 0, destroys0 = 0, calls0 = 0;
  record(&inits0, &destroys0, &calls0);
  {
    ScopedEnv p("CHORUS_TUNER_PLUGIN", path.c_str());
    auto body = [&](int rank, int nranks, const chorusUniqueId& id) {
      return AllReduceBody(rank, nranks, id, {7, 5000});
    };
    std::string err = testing::RunRanks(3, testing::RankMode::kThreads, body);
    ASSERT_EQ(err, "");
  }
  int inits = 0, destroys = 0, calls = 0;
  std::string last = record(&inits, &destroys, &calls);
  EXPECT_EQ(inits - inits0, 3);
  EXPECT_EQ(destroys - destroys0, 3);
  EXPECT_EQ(calls - calls0, 6);  // 3 communicators x 2 call shapes
  EXPECT_NE(last.find("coll=0 bytes=20000 elem=4 op=0 nranks=3 "), std::string::npos) << last;
  // A communicator runs CHORUS_CHANNELS (default 1) channels: that is all it offers.
  EXPECT_EQ(last.substr(last.rfind(' ')), " channels=1") << last;
  dlclose(lib);
}

// Ranks that would load different plugins (here: one rank has CHORUS_TUNER_PLUGIN, the others
// none) would choose different algorithms and run mismatched schedules. Init compares the
// plugins' identities and disables the plugin on every rank, with a warning naming the ranks.
TEST_F(TunerPluginTest, RanksWithDifferentPluginsAllRunWithout) {
  const int n = 3;
  const std::vector<size_t> counts = {1, 1000, 300000};
  // The table makes the plugin's picks differ from the model's (asserted in
  // AllReduceWithTheExampleLoadedIsCorrect), so a rank that kept it would hang or fail.
  ScopedEnv tb("CHORUS_TUNER_EXAMPLE_TABLE", "allreduce:0-64K:recursive_doubling,allreduce:64K-:rabenseifner");
  ScopedEnv timeout("CHORUS_TIMEOUT", "30");
  const bool check_log = CanSeeWarnings();
  const std::string log = ::testing::TempDir() + "/tuner_plugin_mismatch_" + std::to_string(getpid()) + ".log";
  std::string err = testing::RunRanks(n, testing::RankMode::kProcesses, [&](int rank, int nranks, const chorusUniqueId& id) {
    if (rank == 1) setenv("CHORUS_TUNER_PLUGIN", kExample.c_str(), 1);
    if (rank == 0 && check_log) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd < 0 || dup2(fd, 2) < 0) return std::string("cannot redirect stderr");
      close(fd);
    }
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, nranks, id, rank, nullptr) != chorusSuccess) return std::string("init failed");
    std::string e;
    if (comm->impl->tuner().plugin() != nullptr) e = "the plugin is still enabled";
    for (size_t count : counts) {
      if (!e.empty()) break;
      std::vector<float> in(count, static_cast<float>(rank + 1)), out(count, -1.0f);
      if (chorusAllReduce(in.data(), out.data(), count, chorusFloat32, chorusSum, comm, nullptr) != chorusSuccess) {
        e = std::string("all-reduce failed: ") + chorusGetLastError(comm);
      }
      for (size_t i = 0; i < count && e.empty(); ++i) {
        if (out[i] != static_cast<float>(nranks * (nranks + 1) / 2)) e = "wrong sum at " + std::to_string(i);
      }
    }
    chorusCommDestroy(comm);
    return e;
  });
  EXPECT_EQ(err, "");
  if (check_log) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("the ranks load different tuner plugins (CHORUS_TUNER_PLUGIN) (rank 1: example v1 " +
                                  BaseOf(kExample) + "; ranks 0,2: none); disabled on every rank"),
              std::string::npos)
        << text.str();
    std::remove(log.c_str());
  }
}

}  // namespace
}  // namespace chorus::tune
