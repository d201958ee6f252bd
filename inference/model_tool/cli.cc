#include "inference/model_tool/cli.h"

#include <functional>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/model_tool/model_info.h"

namespace catena::inference::model_tool {
namespace {

absl::StatusOr<int> ParseInt(const std::string& flag, const std::string& text) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " expects an integer, got '", text, "'"));
  }
  return value;
}

using Setter = std::function<absl::Status(MakeTinyRequest&, const std::string&)>;

Setter IntFlag(const std::string& flag, int TinyModelOptions::*field) {
  return [flag, field](MakeTinyRequest& r, const std::string& v) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(r.options.*field, ParseInt(flag, v));
    return absl::OkStatus();
  };
}

Setter StringFlag(std::string TinyModelOptions::*field) {
  return [field](MakeTinyRequest& r, const std::string& v) {
    r.options.*field = v;
    return absl::OkStatus();
  };
}

const std::map<std::string, Setter>& ValueFlags() {
  static const auto* flags = new std::map<std::string, Setter>{
      {"--arch", StringFlag(&TinyModelOptions::arch)},
      {"--vocab", StringFlag(&TinyModelOptions::vocab_path)},
      {"--name", StringFlag(&TinyModelOptions::name)},
      {"--pooling", StringFlag(&TinyModelOptions::pooling)},
      {"--layers", IntFlag("--layers", &TinyModelOptions::layers)},
      {"--dim", IntFlag("--dim", &TinyModelOptions::dim)},
      {"--heads", IntFlag("--heads", &TinyModelOptions::heads)},
      {"--ff", IntFlag("--ff", &TinyModelOptions::ff)},
      {"--context", IntFlag("--context", &TinyModelOptions::context)},
      {"--max-mparams", IntFlag("--max-mparams", &TinyModelOptions::max_million_parameters)},
      {"--out", [](MakeTinyRequest& r, const std::string& v) { r.out_path = v; return absl::OkStatus(); }},
      {"--type", [](MakeTinyRequest& r, const std::string& v) -> absl::Status {
         CATENA_ASSIGN_OR_RETURN(r.options.type, ParseGgmlType(v));
         return absl::OkStatus();
       }},
      {"--kv-heads", [](MakeTinyRequest& r, const std::string& v) -> absl::Status {
         CATENA_ASSIGN_OR_RETURN(r.options.kv_heads, ParseInt("--kv-heads", v));
         return absl::OkStatus();
       }},
      {"--rope-theta", [](MakeTinyRequest& r, const std::string& v) -> absl::Status {
         float theta = 0;
         if (!absl::SimpleAtof(v, &theta)) return absl::InvalidArgumentError(absl::StrCat("--rope-theta expects a number, got '", v, "'"));
         r.options.rope_theta = theta;
         return absl::OkStatus();
       }},
      {"--seed", [](MakeTinyRequest& r, const std::string& v) -> absl::Status {
         if (!absl::SimpleAtoi(v, &r.options.seed)) return absl::InvalidArgumentError(absl::StrCat("--seed expects an unsigned integer, got '", v, "'"));
         return absl::OkStatus();
       }},
  };
  return *flags;
}

int RunInfo(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() != 2) {
    err << "catena-model: info takes exactly one FILE\n" << Usage();
    return 2;
  }
  absl::StatusOr<std::unique_ptr<GgufFile>> file = GgufFile::Open(args[1]);
  if (!file.ok()) {
    err << "catena-model: " << file.status().message() << "\n";
    return 1;
  }
  out << DescribeGguf(**file);
  return 0;
}

int RunMakeTiny(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<MakeTinyRequest> request = ParseMakeTiny({args.begin() + 1, args.end()});
  if (!request.ok()) {
    err << "catena-model: " << request.status().message() << "\n" << Usage();
    return 2;
  }
  absl::StatusOr<GgufWriter> writer = BuildTinyModel(request->options);
  absl::Status written = writer.ok() ? writer->WriteFile(request->out_path) : writer.status();
  if (!written.ok()) {
    err << "catena-model: " << written.message() << "\n";
    return 1;
  }
  out << "wrote " << request->out_path << "\n";
  return 0;
}

}  // namespace

std::string Usage() {
  return "usage:\n"
         "  catena-model info FILE\n"
         "  catena-model make-tiny --arch llama|qwen2|bert --out FILE --vocab TOKENIZER_FILE\n"
         "      [--type f32|f16|bf16|q8_0|q4_0|q4_k|q6_k] [--layers N] [--dim N] [--heads N] [--kv-heads N]\n"
         "      [--ff N] [--context N] [--rope-theta F] [--llama3-rope-scaling] [--tied-output] [--seed N]\n"
         "      [--name NAME] [--pooling mean|cls] [--max-mparams N (default 268)]\n";
}

absl::StatusOr<MakeTinyRequest> ParseMakeTiny(const std::vector<std::string>& args) {
  MakeTinyRequest request;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--llama3-rope-scaling") { request.options.llama3_rope_scaling = true; continue; }
    if (flag == "--tied-output") { request.options.tied_output = true; continue; }
    const auto it = ValueFlags().find(flag);
    if (it == ValueFlags().end()) return absl::InvalidArgumentError(absl::StrCat("unknown option '", flag, "'"));
    if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
    CATENA_RETURN_IF_ERROR(it->second(request, args[++i]));
  }
  if (request.out_path.empty()) return absl::InvalidArgumentError("--out is required");
  if (request.options.vocab_path.empty()) return absl::InvalidArgumentError("--vocab is required");
  return request;
}

int RunModelTool(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? err : out) << Usage();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "info") return RunInfo(args, out, err);
  if (args[0] == "make-tiny") return RunMakeTiny(args, out, err);
  err << "catena-model: unknown command '" << args[0] << "'\n" << Usage();
  return 2;
}

}  // namespace catena::inference::model_tool
