// Explains why a listening address cannot be bound (port in use, permission, bad host), for start-up errors.
// gRPC only reports that binding failed; this probe binds a plain socket to learn the reason. Thread-safe.
#pragma once

#include <string>

namespace catena::server {

// Tries to bind host:port as a TCP listener and returns why it fails ("Address already in use"), or an
// empty string when the bind succeeds (the probe socket is closed again).
std::string ProbeListenFailure(const std::string& host, int port);

}  // namespace catena::server
