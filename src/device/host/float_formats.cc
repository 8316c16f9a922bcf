// Out-of-line exports of the scalar conversions declared in reduce.h.
#include "device/host/float_formats.h"

#include "device/host/reduce.h"

namespace chorus::host {

float HalfToFloat(uint16_t h) { return fp::HalfToFloat(h); }
uint16_t FloatToHalf(float f) { return fp::FloatToHalf(f); }
float Bfloat16ToFloat(uint16_t h) { return fp::Bfloat16ToFloat(h); }
uint16_t FloatToBfloat16(float f) { return fp::FloatToBfloat16(f); }
float Float8e4m3ToFloat(uint8_t v) { return fp::Float8e4m3ToFloat(v); }
uint8_t FloatToFloat8e4m3(float f) { return fp::FloatToFloat8e4m3(f); }
float Float8e5m2ToFloat(uint8_t v) { return fp::Float8e5m2ToFloat(v); }
uint8_t FloatToFloat8e5m2(float f) { return fp::FloatToFloat8e5m2(f); }

}  // namespace chorus::host
