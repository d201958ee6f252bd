#include "inference/cuda/cuda_weights.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/kernels.h"

namespace catena::inference::cuda {

absl::StatusOr<const float*> DeviceWeights::Copy(const void* host, size_t bytes) {
  DeviceBuffer buffer;
  CATENA_RETURN_IF_ERROR(buffer.Reserve(bytes));
  CATENA_RETURN_IF_ERROR(CudaStatus(cudaMemcpy(buffer.get(), host, bytes, cudaMemcpyHostToDevice), "weight upload"));
  const float* data = buffer.as<float>();
  buffers_.push_back(std::move(buffer));
  return data;
}

absl::StatusOr<DeviceMatrix> DeviceWeights::Matrix(const TensorRef& ref) {
  if (!ref.present()) return absl::InvalidArgumentError(absl::StrCat("tensor ", ref.name, " is missing"));
  for (const auto& [host, matrix] : uploaded_) {
    if (host == ref.view.data) return matrix;
  }
  const WeightView& v = ref.view;
  CATENA_ASSIGN_OR_RETURN(const float* data, Copy(v.data, static_cast<size_t>(v.rows * v.row_bytes)));
  const DeviceMatrix matrix{.type = v.type, .rows = v.rows, .cols = v.cols, .row_bytes = v.row_bytes, .data = data};
  uploaded_.emplace_back(v.data, matrix);
  return matrix;
}

absl::StatusOr<const float*> DeviceWeights::Floats(const TensorRef& ref) {
  if (!ref.present()) return static_cast<const float*>(nullptr);
  std::vector<float> values(static_cast<size_t>(ref.view.rows * ref.view.cols));
  for (int64_t r = 0; r < ref.view.rows; ++r) {
    DequantizeRowInto(ref.view, r, std::span<float>(values.data() + r * ref.view.cols, ref.view.cols));
  }
  return Copy(values.data(), values.size() * sizeof(float));
}

absl::Status DeviceWeights::UploadLayer(const TransformerLayer& layer, DeviceLayer& out) {
  CATENA_ASSIGN_OR_RETURN(out.wq, Matrix(layer.wq));
  CATENA_ASSIGN_OR_RETURN(out.wk, Matrix(layer.wk));
  CATENA_ASSIGN_OR_RETURN(out.wv, Matrix(layer.wv));
  CATENA_ASSIGN_OR_RETURN(out.wo, Matrix(layer.wo));
  CATENA_ASSIGN_OR_RETURN(out.w_gate, Matrix(layer.w_gate));
  CATENA_ASSIGN_OR_RETURN(out.w_up, Matrix(layer.w_up));
  CATENA_ASSIGN_OR_RETURN(out.w_down, Matrix(layer.w_down));
  CATENA_ASSIGN_OR_RETURN(out.attn_norm, Floats(layer.attn_norm));
  CATENA_ASSIGN_OR_RETURN(out.ffn_norm, Floats(layer.ffn_norm));
  CATENA_ASSIGN_OR_RETURN(out.bq, Floats(layer.bq));
  CATENA_ASSIGN_OR_RETURN(out.bk, Floats(layer.bk));
  CATENA_ASSIGN_OR_RETURN(out.bv, Floats(layer.bv));
  CATENA_ASSIGN_OR_RETURN(out.bo, Floats(layer.bo));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DeviceWeights>> DeviceWeights::Upload(const TransformerSpec& spec) {
  std::unique_ptr<DeviceWeights> w(new DeviceWeights());
  CATENA_ASSIGN_OR_RETURN(w->token_embedding, w->Matrix(spec.token_embedding));
  CATENA_ASSIGN_OR_RETURN(w->output, w->Matrix(spec.output));
  CATENA_ASSIGN_OR_RETURN(w->output_norm, w->Floats(spec.output_norm));
  if (!spec.rope_inv_freq.empty()) {
    CATENA_ASSIGN_OR_RETURN(w->rope_inv_freq,
                            w->Copy(spec.rope_inv_freq.data(), spec.rope_inv_freq.size() * sizeof(float)));
  }
  w->layers.resize(spec.layers.size());
  for (size_t l = 0; l < spec.layers.size(); ++l) {
    CATENA_RETURN_IF_ERROR(Annotate(w->UploadLayer(spec.layers[l], w->layers[l]), absl::StrCat("layer ", l)));
  }
  return w;
}

size_t DeviceWeights::bytes() const {
  size_t total = 0;
  for (const DeviceBuffer& buffer : buffers_) total += buffer.bytes();
  return total;
}

}  // namespace catena::inference::cuda
