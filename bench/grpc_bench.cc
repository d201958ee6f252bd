// gRPC overhead of catenad: unary Ping round trips through a full in-process catenad (request context,
// metrics interceptor, callback handler, executor) versus a bare gRPC server answering the same RPC with
// nothing else, at client concurrency 1 and 16. Reports qps, p50/p99 latency and the ratio ours/bare.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "bench/bench_util.h"
#include "catena/v1/server.grpc.pb.h"
#include "common/logging.h"
#include "server/catenad.h"

namespace {

using Clock = std::chrono::steady_clock;

// The reference: the same RPC with an empty synchronous handler.
class BarePingService final : public catena::v1::ServerService::Service {
  grpc::Status Ping(grpc::ServerContext*, const catena::v1::PingRequest* request,
                    catena::v1::PingResponse* response) override {
    response->set_payload(request->payload());
    return grpc::Status::OK;
  }
};

struct LoadResult {
  double qps = 0;
  std::vector<double> latencies_us;
};

// Runs `concurrency` client threads, each with its own channel, for `duration`.
LoadResult RunLoad(const std::string& address, int concurrency, std::chrono::milliseconds duration) {
  std::vector<std::vector<double>> latencies(concurrency);
  std::atomic<int64_t> calls{0};
  const auto end = Clock::now() + duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt("catena.bench.channel", t);  // distinct channels, distinct connections
      auto stub = catena::v1::ServerService::NewStub(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
      catena::v1::PingRequest request;
      request.set_payload("0123456789abcdef");
      while (Clock::now() < end) {
        grpc::ClientContext context;
        catena::v1::PingResponse response;
        const auto start = Clock::now();
        if (!stub->Ping(&context, request, &response).ok()) continue;
        latencies[t].push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        calls.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  LoadResult result;
  result.qps = static_cast<double>(calls.load()) / std::chrono::duration<double>(duration).count();
  for (auto& per_thread : latencies)
    result.latencies_us.insert(result.latencies_us.end(), per_thread.begin(), per_thread.end());
  return result;
}

void Report(const std::string& name, int concurrency, LoadResult& ours, LoadResult& bare) {
  using catena::bench::Emit;
  using catena::bench::Quantile;
  const std::string c = "/c" + std::to_string(concurrency);
  Emit("grpc", "ping_catenad" + c, "qps", ours.qps, "1/s");
  Emit("grpc", "ping_bare_grpc" + c, "qps", bare.qps, "1/s");
  Emit("grpc", name + c, "qps_ratio_catenad_vs_bare", ours.qps / bare.qps, "ratio");
  Emit("grpc", "ping_catenad" + c, "p50_latency", Quantile(ours.latencies_us, 0.5), "us");
  Emit("grpc", "ping_catenad" + c, "p99_latency", Quantile(ours.latencies_us, 0.99), "us");
  Emit("grpc", "ping_bare_grpc" + c, "p50_latency", Quantile(bare.latencies_us, 0.5), "us");
  Emit("grpc", "ping_bare_grpc" + c, "p99_latency", Quantile(bare.latencies_us, 0.99), "us");
}

}  // namespace

int main() {
  (void)catena::InitLogging({.level = "warn"});
  catena::server::ServerOptions options;
  options.grpc_port = 0;
  options.http_port = 0;
  options.data_dir = "/tmp/catena-grpc-bench";
  options.services = {"retrieval"};
  auto catenad = catena::server::Catenad::Start(options);
  if (!catenad.ok()) {
    std::fprintf(stderr, "grpc_bench: %s\n", std::string(catenad.status().message()).c_str());
    return 1;
  }
  BarePingService bare_service;
  int bare_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &bare_port);
  builder.RegisterService(&bare_service);
  auto bare_server = builder.BuildAndStart();

  const std::string ours = "127.0.0.1:" + std::to_string((*catenad)->grpc_port());
  const std::string bare = "127.0.0.1:" + std::to_string(bare_port);
  for (int concurrency : {1, 16}) {
    RunLoad(ours, concurrency, std::chrono::milliseconds(300));  // warm-up
    RunLoad(bare, concurrency, std::chrono::milliseconds(300));
    LoadResult ours_result = RunLoad(ours, concurrency, std::chrono::seconds(3));
    LoadResult bare_result = RunLoad(bare, concurrency, std::chrono::seconds(3));
    Report("ping", concurrency, ours_result, bare_result);
  }
  bare_server->Shutdown();
  (*catenad)->Shutdown();
  return 0;
}
