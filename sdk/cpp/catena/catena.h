// The whole C++ SDK in one include: Client with every typed service wrapper (server, inference, embedding,
// retrieval, memory, pipelines), CallOptions/RetryOptions/Cancellation and StreamReader.
#pragma once

#include "catena/call_options.h"
#include "catena/client.h"
#include "catena/embedding_client.h"
#include "catena/inference_client.h"
#include "catena/memory_client.h"
#include "catena/pipeline_client.h"
#include "catena/retrieval_client.h"
#include "catena/server_client.h"
#include "catena/stream_reader.h"
