// catena-model: inspect GGUF files and make tiny random models (see inference/README.md).
#include <iostream>
#include <string>
#include <vector>

#include "inference/model_tool/cli.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return catena::inference::model_tool::RunModelTool(args, std::cout, std::cerr);
}
