// What hwloc does not report, read from Linux sysfs: PCIe link generation and width, NIC speeds.
#include <cstdlib>
#include <fstream>
#include <string>

#include "topology/detect_internal.h"

namespace chorus::topo::detail {

namespace {
std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  return line;
}

// "32.0 GT/s PCIe" -> 5; 0 when unknown.
int GenFromSpeed(const std::string& s) {
  double gts = std::strtod(s.c_str(), nullptr);
  if (gts >= 120) return 7;
  if (gts >= 60) return 6;
  if (gts >= 30) return 5;
  if (gts >= 15) return 4;
  if (gts >= 7.5) return 3;
  if (gts >= 4.5) return 2;
  if (gts >= 2) return 1;
  return 0;
}
}  // namespace

PcieLinkInfo ReadPcieLink(const std::string& bus_id) {
  // The maximum, not the current, speed: idle GPUs train their links down to Gen1.
  std::string dir = "/sys/bus/pci/devices/" + bus_id + "/";
  PcieLinkInfo info;
  info.gen = GenFromSpeed(ReadLine(dir + "max_link_speed"));
  long width = std::strtol(ReadLine(dir + "max_link_width").c_str(), nullptr, 10);
  if (width > 0 && width <= 32) info.width = static_cast<int>(width);
  if (info.gen == 0 || info.width == 0) info = PcieLinkInfo{};
  return info;
}

double ReadIbRateGbps(const std::string& ib_device) {
  // "400 Gb/sec (4X NDR)"
  std::string rate = ReadLine("/sys/class/infiniband/" + ib_device + "/ports/1/rate");
  double gbit = std::strtod(rate.c_str(), nullptr);
  return gbit > 0 && gbit < 1e6 ? gbit / 8 : 0;
}

double ReadNetSpeedGbps(const std::string& ifname) {
  // Mb/s; -1 or unreadable for virtual devices and links that are down.
  std::string speed = ReadLine("/sys/class/net/" + ifname + "/speed");
  double mbit = std::strtod(speed.c_str(), nullptr);
  return mbit > 0 && mbit < 1e9 ? mbit / 8000 : 0;
}

}  // namespace chorus::topo::detail
