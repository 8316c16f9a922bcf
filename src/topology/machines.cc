#include "topology/machines.h"

#include "topology/figures.h"

namespace chorus::topo {

namespace {
constexpr uint64_t kGiB = 1ull << 30;

// A few lines per node or link instead of a dozen field assignments.
struct Builder {
  Graph g;

  NodeId Host(const std::string& id, const std::string& name) {
    Node n;
    n.kind = NodeKind::kHost;
    n.id = id;
    n.name = name;
    n.hostid = name;
    return g.AddNode(std::move(n));
  }
  NodeId Add(NodeKind kind, const std::string& id, NodeId host, int index, int numa,
             const std::string& name = "") {
    Node n;
    n.kind = kind;
    n.id = id;
    n.name = name;
    n.host = host;
    n.index = index;
    n.numa = numa;
    return g.AddNode(std::move(n));
  }
  Node& N(NodeId id) { return g.mutable_node(id); }

  void L(NodeId a, NodeId b, LinkType t, double bw, double lat, int count = 1, int version = 0) {
    Link l;
    l.a = a;
    l.b = b;
    l.type = t;
    l.bw_gbps = bw;
    l.latency_us = lat;
    l.count = count;
    l.version = version;
    g.AddLink(l);
  }
  void Pcie(NodeId a, NodeId b, int gen, int width) {
    Link l;
    l.a = a;
    l.b = b;
    l.type = LinkType::kPcie;
    l.bw_gbps = fig::PcieGbps(gen, width);
    l.latency_us = fig::kPcieLatencyUs;
    l.pcie_gen = gen;
    l.pcie_width = width;
    g.AddLink(l);
  }
  void Mem(NodeId cpu, NodeId numa, double bw) {
    Link l;
    l.a = cpu;
    l.b = numa;
    l.type = LinkType::kMemory;
    l.bw_gbps = bw;
    l.latency_us = fig::kMemLatencyUs;
    l.distance = 10;
    g.AddLink(l);
  }
  void Smp(NodeId a, NodeId b, double bw, int count, int distance) {
    Link l;
    l.a = a;
    l.b = b;
    l.type = LinkType::kSmp;
    l.bw_gbps = bw;
    l.latency_us = fig::kSmpLatencyUs;
    l.count = count;
    l.distance = distance;
    g.AddLink(l);
  }

  // A CPU package with one NUMA node: returns {cpu, numa}.
  std::pair<NodeId, NodeId> Socket(NodeId host, const std::string& prefix, int index,
                                   const std::string& model, int cores, uint64_t memory, double mem_bw) {
    NodeId cpu = Add(NodeKind::kCpu, prefix + "cpu" + std::to_string(index), host, index, index, model);
    N(cpu).cores = cores;
    NodeId numa = Add(NodeKind::kNuma, prefix + "numa" + std::to_string(index), host, index, index);
    N(numa).cores = cores;
    N(numa).memory = memory;
    N(numa).bw_gbps = mem_bw;
    Mem(cpu, numa, mem_bw);
    return {cpu, numa};
  }
};

std::string S(const char* base, int i) { return base + std::to_string(i); }
}  // namespace

Graph MakeDgxH100() {
  Builder b;
  b.g.name = "dgx-h100";
  NodeId h = b.Host("h0", "dgx-h100");
  NodeId cpu[2];
  for (int s = 0; s < 2; ++s) {
    cpu[s] = b.Socket(h, "", s, "Intel Xeon Platinum 8480C", 56, 1024 * kGiB, 307.2).first;
  }
  b.Smp(cpu[0], cpu[1], 128, 4, 21);
  NodeId sw[4];
  for (int i = 0; i < 4; ++i) {
    sw[i] = b.Add(NodeKind::kPcieSwitch, S("pcisw", i), h, -1, i / 2, "PCIe Gen5 switch");
    b.Pcie(sw[i], cpu[i / 2], 5, 16);
  }
  NodeId nvs[4];
  for (int j = 0; j < 4; ++j) {
    nvs[j] = b.Add(NodeKind::kAccelSwitch, S("nvs", j), h, -1, -1, "NVSwitch (NVLink 4)");
    b.N(nvs[j]).group = "nvswitch";
    b.N(nvs[j]).reduce = fig::NvlsReduceCaps();
  }
  constexpr int kLinksPerSwitch[4] = {5, 4, 4, 5};  // 18 NVLinks per GPU
  for (int i = 0; i < 8; ++i) {
    NodeId gpu = b.Add(NodeKind::kGpu, S("gpu", i), h, i, i / 4, "NVIDIA H100 80GB HBM3");
    b.N(gpu).memory = 80 * kGiB;
    b.N(gpu).bw_gbps = 3350;
    b.Pcie(gpu, sw[i / 2], 5, 16);
    for (int j = 0; j < 4; ++j) {
      int n = kLinksPerSwitch[j];
      b.L(gpu, nvs[j], LinkType::kNvlink, n * fig::NvlinkLinkGbps(4), fig::kNvlinkLatencyUs, n, 4);
    }
    NodeId nic = b.Add(NodeKind::kNic, S("nic", i), h, i, i / 4, "ConnectX-7 400G");
    b.N(nic).bw_gbps = fig::kNic400Gbps;
    b.Pcie(nic, sw[i / 2], 5, 16);
  }
  return std::move(b.g);
}

Graph MakeGb200Nvl72() {
  Builder b;
  b.g.name = "gb200-nvl72";
  constexpr int kTrays = 18;
  constexpr int kSwitchChips = 18;
  std::vector<NodeId> gpus;
  for (int t = 0; t < kTrays; ++t) {
    std::string p = S("t", t) + ".";
    NodeId h = b.Host(S("tray", t), S("gb200-nvl72-tray", t));
    NodeId cpu[2];
    for (int c = 0; c < 2; ++c) {
      cpu[c] = b.Socket(h, p, c, "NVIDIA Grace", 72, 480 * kGiB, 512).first;
    }
    // Assumed: NVIDIA documents no Grace-Grace link inside a tray; without one the two CPUs
    // could not reach each other in the model.
    b.Smp(cpu[0], cpu[1], fig::kNvlinkC2cGbps, 1, 20);
    for (int i = 0; i < 4; ++i) {
      NodeId gpu = b.Add(NodeKind::kGpu, p + S("gpu", i), h, i, i / 2, "NVIDIA B200 (GB200)");
      b.N(gpu).memory = 186 * kGiB;
      b.N(gpu).bw_gbps = 8000;
      b.L(cpu[i / 2], gpu, LinkType::kNvlink, fig::kNvlinkC2cGbps, fig::kNvlinkLatencyUs);
      gpus.push_back(gpu);
      NodeId nic = b.Add(NodeKind::kNic, p + S("nic", i), h, i, i / 2, "ConnectX-7 400G");
      b.N(nic).bw_gbps = fig::kNic400Gbps;
      b.Pcie(nic, cpu[i / 2], 5, 16);
    }
  }
  for (int k = 0; k < kSwitchChips; ++k) {
    NodeId sw = b.Add(NodeKind::kAccelSwitch, S("nvsw", k), kNoNode, -1, -1, "NVLink 5 switch");
    b.N(sw).group = "nvl72";
    b.N(sw).reduce = fig::NvlsReduceCaps();
    for (NodeId gpu : gpus) {
      b.L(gpu, sw, LinkType::kNvlink, fig::NvlinkLinkGbps(5), fig::kNvlinkLatencyUs, 1, 5);
    }
  }
  return std::move(b.g);
}

Graph MakeMi300x8() {
  Builder b;
  b.g.name = "mi300x-8";
  NodeId h = b.Host("h0", "mi300x-8");
  NodeId cpu[2];
  for (int s = 0; s < 2; ++s) cpu[s] = b.Socket(h, "", s, "AMD EPYC 9654", 96, 768 * kGiB, 460.8).first;
  b.Smp(cpu[0], cpu[1], 256, 4, 32);
  NodeId sw[4];
  for (int i = 0; i < 4; ++i) {
    sw[i] = b.Add(NodeKind::kPcieSwitch, S("pcisw", i), h, -1, i / 2, "PCIe Gen5 switch");
    b.Pcie(sw[i], cpu[i / 2], 5, 16);
  }
  NodeId gpu[8];
  for (int i = 0; i < 8; ++i) {
    gpu[i] = b.Add(NodeKind::kGpu, S("gpu", i), h, i, i / 4, "AMD Instinct MI300X");
    b.N(gpu[i]).memory = 192 * kGiB;
    b.N(gpu[i]).bw_gbps = 5300;
    b.Pcie(gpu[i], sw[i / 2], 5, 16);
    NodeId nic = b.Add(NodeKind::kNic, S("nic", i), h, i, i / 4, "400G NIC");
    b.N(nic).bw_gbps = fig::kNic400Gbps;
    b.Pcie(nic, sw[i / 2], 5, 16);
  }
  for (int i = 0; i < 8; ++i) {
    for (int j = i + 1; j < 8; ++j) {
      b.L(gpu[i], gpu[j], LinkType::kXgmi, fig::kXgmiLinkGbps, fig::kXgmiLatencyUs);
    }
  }
  return std::move(b.g);
}

Graph MakeUalinkPod(int accelerators) {
  // Every accelerator has one x4 port on each of 4 planes. The planes' switch chips at one
  // position are folded into one node and the 4 ports into one link of count 4 (the planes are
  // identical, and folding keeps the bundled file small); spine positions form one group.
  constexpr int kPlanes = 4;
  constexpr int kPerLeaf = 64;             // downlinks per leaf chip
  constexpr int kSpines = 8;               // spine positions
  constexpr int kUp = kPerLeaf / kSpines;  // uplinks from a leaf chip to each spine chip
  constexpr int kPerHost = 8;
  int n = accelerators < kPerLeaf ? kPerLeaf : (accelerators + kPerLeaf - 1) / kPerLeaf * kPerLeaf;
  int leaves = n / kPerLeaf;
  Builder b;
  b.g.name = S("ualink-pod-", n);
  std::vector<NodeId> acc;
  for (int k = 0; k < n / kPerHost; ++k) {
    // Hosts group the accelerators; their CPUs and PCIe are not modelled.
    NodeId h = b.Host(S("h", k), S("ualink-host", k));
    for (int j = 0; j < kPerHost; ++j) {
      acc.push_back(b.Add(NodeKind::kGpu, S("h", k) + "." + S("acc", j), h, j, -1, "UALink accelerator"));
    }
  }
  std::vector<NodeId> leaf;
  for (int l = 0; l < leaves; ++l) {
    leaf.push_back(
        b.Add(NodeKind::kAccelSwitch, S("leaf", l), kNoNode, -1, -1, "UALink leaf switch (4 planes)"));
  }
  for (int a = 0; a < n; ++a) {
    b.L(acc[static_cast<size_t>(a)], leaf[static_cast<size_t>(a / kPerLeaf)], LinkType::kUalink,
        kPlanes * fig::kUalinkPortGbps, fig::kUalinkLatencyUs, kPlanes, 1);
  }
  if (leaves > 1) {
    for (int s = 0; s < kSpines; ++s) {
      NodeId spine =
          b.Add(NodeKind::kAccelSwitch, S("spine", s), kNoNode, -1, -1, "UALink spine switch (4 planes)");
      b.N(spine).group = "spine";
      for (NodeId l : leaf) {
        b.L(l, spine, LinkType::kUalink, kPlanes * kUp * fig::kUalinkPortGbps, fig::kUalinkLatencyUs,
            kPlanes * kUp, 1);
      }
    }
  }
  return std::move(b.g);
}

Graph MakePcie8Gpu2Socket() {
  Builder b;
  b.g.name = "pcie-8gpu-2socket";
  NodeId h = b.Host("h0", "pcie-8gpu-2socket");
  NodeId cpu[2];
  for (int s = 0; s < 2; ++s)
    cpu[s] = b.Socket(h, "", s, "Intel Xeon Gold 6338", 32, 512 * kGiB, 204.8).first;
  b.Smp(cpu[0], cpu[1], 67.2, 3, 20);
  NodeId sw[4];
  for (int i = 0; i < 4; ++i) {
    sw[i] = b.Add(NodeKind::kPcieSwitch, S("pcisw", i), h, -1, i / 2, "PCIe Gen4 switch");
    b.Pcie(sw[i], cpu[i / 2], 4, 16);
  }
  for (int i = 0; i < 8; ++i) {
    NodeId gpu = b.Add(NodeKind::kGpu, S("gpu", i), h, i, i / 4, "NVIDIA L40S");
    b.N(gpu).memory = 48 * kGiB;
    b.N(gpu).bw_gbps = 864;
    b.Pcie(gpu, sw[i / 2], 4, 16);
  }
  for (int s = 0; s < 2; ++s) {
    NodeId nic = b.Add(NodeKind::kNic, S("nic", s), h, s, s, "ConnectX-6 200G");
    b.N(nic).bw_gbps = 25;
    b.Pcie(nic, cpu[s], 4, 16);
  }
  return std::move(b.g);
}

Graph MakeCpu2Socket() {
  Builder b;
  b.g.name = "cpu-2socket";
  NodeId h = b.Host("h0", "cpu-2socket");
  NodeId cpu[2];
  for (int s = 0; s < 2; ++s)
    cpu[s] = b.Socket(h, "", s, "Intel Xeon Gold 6448Y", 32, 256 * kGiB, 307.2).first;
  b.Smp(cpu[0], cpu[1], 96, 3, 21);
  NodeId nic = b.Add(NodeKind::kNic, "nic0", h, 0, 0, "ConnectX-6 100G");
  b.N(nic).bw_gbps = 12.5;
  b.Pcie(nic, cpu[0], 4, 16);
  return std::move(b.g);
}

std::vector<std::string> BuiltinNames() {
  return {"dgx-h100",          "gb200-nvl72", "mi300x-8",       "ualink-pod-1024",
          "pcie-8gpu-2socket", "cpu-2socket", "fat-tree-4x-dgx"};
}

Status MakeBuiltin(std::string_view name, Graph* out) {
  if (name == "dgx-h100")
    *out = MakeDgxH100();
  else if (name == "gb200-nvl72")
    *out = MakeGb200Nvl72();
  else if (name == "mi300x-8")
    *out = MakeMi300x8();
  else if (name == "ualink-pod-1024")
    *out = MakeUalinkPod(1024);
  else if (name == "pcie-8gpu-2socket")
    *out = MakePcie8Gpu2Socket();
  else if (name == "cpu-2socket")
    *out = MakeCpu2Socket();
  else if (name == "fat-tree-4x-dgx") {
    CHORUS_RETURN_IF_ERROR(MakeFatTree(MakeDgxH100(), 4, FatTreeOptions{}, out));
    out->name = "fat-tree-4x-dgx";
  } else {
    std::string known;
    for (const std::string& n : BuiltinNames()) known += (known.empty() ? "" : ", ") + n;
    return InvalidArgument("unknown built-in topology '" + std::string(name) + "' (known: " + known + ")");
  }
  return Status::Ok();
}

}  // namespace chorus::topo
