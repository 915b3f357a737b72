// The connection table (pointer_table.hpp: made on the first TLS write, so a process that never
// writes over TLS pays nothing), a spin lock held only for the probe.
#include <stdlib.h>
#include <new>

#include "tls_connection.hpp"
#include "pointer_table.hpp"
#include "tls_lock.hpp"

namespace agentguard::preload {
namespace {

SpinLock g_lock;
PointerTable<TlsConnection*, 4096> g_connections;  // live TLS connections per process

}  // namespace

TlsConnection* find_connection(const void* key) {
  if (key == nullptr || !g_connections.made()) return nullptr;
  SpinGuard guard(g_lock);
  auto* slot = g_connections.find(key);
  return slot != nullptr ? slot->value : nullptr;
}

TlsConnection* find_or_create_connection(const void* key) {
  if (key == nullptr) return nullptr;
  SpinGuard guard(g_lock);
  auto* slot = g_connections.find_or_insert(key);
  if (slot == nullptr) return nullptr;
  if (slot->value != nullptr) return slot->value;
  void* memory = malloc(sizeof(TlsConnection));
  if (memory == nullptr) {
    g_connections.erase(key);
    return nullptr;
  }
  auto* connection = new (memory) TlsConnection();
  connection->key = key;
  connection->stream.init(connection->buffer, kStreamBuffer, kBodyPeek);
  slot->value = connection;
  return connection;
}

void drop_connection(const void* key) {
  if (key == nullptr || !g_connections.made()) return;
  TlsConnection* gone = nullptr;
  {
    SpinGuard guard(g_lock);
    gone = g_connections.erase(key);
  }
  if (gone == nullptr) return;
  gone->~TlsConnection();
  free(gone);
}

}  // namespace agentguard::preload
