// chorusMemAlloc / chorusMemFree: shared windows (transports/shm/windows.h).
#include "api/handle.h"
#include "transports/shm/windows.h"

using chorus::api::Report;

extern "C" {

chorusResult_t chorusMemAlloc(void** ptr, size_t size) {
  if (ptr == nullptr) return Report(nullptr, chorus::InvalidArgument("chorusMemAlloc: ptr is NULL"));
  *ptr = nullptr;
  if (size == 0) return Report(nullptr, chorus::InvalidArgument("chorusMemAlloc: size is 0"));
  return Report(nullptr, chorus::shm::AllocWindow(size, ptr));
}

chorusResult_t chorusMemFree(void* ptr) {
  if (ptr == nullptr) return chorusSuccess;  // as free(NULL)
  return Report(nullptr, chorus::shm::FreeWindow(ptr));
}

}  // extern "C"
