#include "inference/embedder.h"

#include <cmath>

namespace catena::inference {

void NormalizeL2(std::span<float> vector) {
  double norm = 0;
  for (float value : vector) norm += static_cast<double>(value) * value;
  if (norm == 0) return;
  const float scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& value : vector) value *= scale;
}

}  // namespace catena::inference
